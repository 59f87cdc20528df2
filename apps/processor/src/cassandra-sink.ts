/**
 * Raw orders to Cassandra: prepared upserts (idempotent: the same order writes the same cells) sent
 * with bounded concurrency. Unlogged batches only ever hold rows of one partition: Cassandra rejects
 * a multi-partition batch above batch_size_fail_threshold (50 KiB), which a few of the largest valid
 * orders exceed, and a single-partition batch costs it no more than one write.
 */
import cassandra from 'cassandra-driver';
import { centsOf, hourPartitionOf, type AcceptedOrder } from '@salespipeline/shared';

export interface RawOrder {
  order: AcceptedOrder;
  acceptedAt: number;
  partition: number;
  offset: string;
}

/** The amount as a CQL decimal: its cents unscaled, scale 2 (no detour through a string). */
export const cqlDecimal = (amount: number) => new cassandra.types.BigDecimal(centsOf(amount), 2);

export class CassandraSink {
  private readonly byId: string;
  private readonly byHour: string;

  constructor(
    private readonly client: cassandra.Client,
    keyspace: string,
    private readonly opts: { concurrency: number; hourBatchRows: number },
  ) {
    this.byId = `INSERT INTO ${keyspace}.orders_by_id (order_id, created_at, status, customer_id, payment_method,
      currency, grand_total, items, accepted_at, kafka_partition, kafka_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.byHour = `INSERT INTO ${keyspace}.orders_by_hour (day, hour, created_at, order_id, status, customer_id,
      payment_method, currency, grand_total, item_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  }

  async write(orders: RawOrder[]): Promise<void> {
    if (orders.length === 0) return;
    const requests: Array<{ query: string; rows: cassandra.ArrayOrObject[] }> = [];
    const byHour = new Map<string, cassandra.ArrayOrObject[]>();
    for (const raw of orders) {
      requests.push({ query: this.byId, rows: [byIdRow(raw)] });
      const { key, row } = byHourRow(raw.order);
      const rows = byHour.get(key);
      if (rows) rows.push(row);
      else byHour.set(key, [row]);
    }
    for (const rows of byHour.values()) {
      for (let i = 0; i < rows.length; i += this.opts.hourBatchRows) {
        requests.push({ query: this.byHour, rows: rows.slice(i, i + this.opts.hourBatchRows) });
      }
    }
    await runBounded(requests, this.opts.concurrency, async ({ query, rows }) => {
      if (rows.length === 1) await this.client.execute(query, rows[0], { prepare: true });
      else
        await this.client.batch(
          rows.map((params) => ({ query, params })),
          { prepare: true, logged: false },
        );
    });
  }
}

/** The order's orders_by_id row, in the column order of the insert. */
function byIdRow({ order, acceptedAt, partition, offset }: RawOrder): cassandra.ArrayOrObject {
  return [
    order.order_id,
    new Date(order.created_at),
    order.status,
    order.customer_id,
    order.payment_method,
    order.currency,
    cqlDecimal(order.grand_total),
    order.items.map((i) => ({
      item_id: i.item_id,
      sku: i.sku,
      category: i.category,
      price: cqlDecimal(i.price),
      qty_ordered: i.qty_ordered,
      discount_amount: cqlDecimal(i.discount_amount),
    })),
    new Date(acceptedAt),
    partition,
    cassandra.types.Long.fromString(offset),
  ];
}

/** The order's orders_by_hour row and the Cassandra partition (day/hour) it belongs to. */
function byHourRow(order: AcceptedOrder): { key: string; row: cassandra.ArrayOrObject } {
  const created = new Date(order.created_at);
  const { day, hour } = hourPartitionOf(created);
  return {
    key: `${day}/${hour}`,
    row: [
      cassandra.types.LocalDate.fromString(day),
      hour,
      created,
      order.order_id,
      order.status,
      order.customer_id,
      order.payment_method,
      order.currency,
      cqlDecimal(order.grand_total),
      order.items.reduce((s, i) => s + i.qty_ordered, 0),
    ],
  };
}

/** Runs fn over items with at most `limit` in flight; rejects with the first error once all settled. */
export async function runBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
}
