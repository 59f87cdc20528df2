/**
 * Raw orders to Cassandra: prepared upserts (idempotent: the same order writes the same cells) sent
 * with bounded concurrency, several rows per request (groupRequests):
 * - orders_by_hour: the "latest orders", only the newest of each hour of every batch
 *   (latest-orders.ts), in unlogged batches within one hour partition (a single-partition batch is
 *   one mutation: Cassandra applies it as one write and checks no batch size threshold on it).
 * - orders_by_id: one partition per order, so a batch of them is a multi-partition unlogged batch.
 *   Cassandra rejects one whose data exceeds batch_size_fail_threshold (50 KiB by default; the largest
 *   valid order alone is over 100 KB): a batch holds at most ID_BATCH_BYTES, a larger order is written
 *   alone. The coordinator of a batch (token-aware routing picks a replica of its first row) must
 *   forward every row it is no replica of, one extra hop per row: so rows are batched only with rows of
 *   the same replica set. On one node, or on 3 nodes with 3 replicas, that is every row.
 */
import cassandra from 'cassandra-driver';
import { hourPartitionOf, LATEST_ORDERS_PER_HOUR } from '@salespipeline/shared';
import type { DatedOrder } from './aggregate.js';
import { groupRequests } from './cassandra-requests.js';
import { cqlBigint, cqlDecimal, cqlTimestamp } from './cql-values.js';
import { hourIndex, newestOfEachHour } from './latest-orders.js';

export interface RawOrder extends DatedOrder {
  /** JSON bytes that parse to `order` (the Kafka record's value), stored as they are. */
  json: Buffer;
  acceptedAt: number;
  partition: number;
  offset: string;
}

/**
 * Most data per orders_by_id batch, a third of the default batch_size_fail_threshold, so Cassandra's
 * own count (which a row's estimate below matches within a few per cent) stays far from it.
 */
export const ID_BATCH_BYTES = 16 * 1024;
/** An orders_by_id row's data besides its JSON as Cassandra counts it: cell headers, timestamps, the other values. */
const ID_ROW_OVERHEAD_BYTES = 160;

/** An orders_by_hour row: its values, and its partition as the key of the rows that may share a batch. */
export interface Row {
  params: cassandra.ArrayOrObject;
  key: unknown;
}

export class CassandraSink {
  private readonly byId: string;
  private readonly byHour: string;
  private readonly replicaSetKeys = new WeakMap<cassandra.Host[], string>();

  constructor(
    private readonly client: cassandra.Client,
    private readonly keyspace: string,
    private readonly opts: { concurrency: number; hourBatchRows: number; idBatchRows: number },
  ) {
    this.byId = `INSERT INTO ${keyspace}.orders_by_id (order_id, order_json, accepted_at, kafka_partition, kafka_offset)
      VALUES (?, ?, ?, ?, ?)`;
    this.byHour = `INSERT INTO ${keyspace}.orders_by_hour (day, hour, created_at, order_id, status, customer_id,
      payment_method, currency, grand_total, item_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  }

  async write(orders: RawOrder[]): Promise<void> {
    if (orders.length === 0) return;
    const idLimits = { maxRows: this.opts.idBatchRows, maxBytes: ID_BATCH_BYTES };
    const hourRows = newestOfEachHour(orders, LATEST_ORDERS_PER_HOUR).map(byHourRow);
    const requests: Request[] = [
      // Grouped as orders; each row's values are made when its request is sent (see byIdParams).
      ...groupRequests(orders, idLimits, (raw) => this.replicaSetOf(raw.order.order_id), idRowBytes).map((group) => ({
        query: this.byId,
        orders: group,
      })),
      ...groupRequests(hourRows, { maxRows: this.opts.hourBatchRows, maxBytes: Infinity }, byKey, noBytes).map(
        (rows) => ({ query: this.byHour, rows }),
      ),
    ];
    await runBounded(requests, this.opts.concurrency, (request) =>
      this.send(request.query, 'orders' in request ? request.orders.map(byIdParams) : request.rows.map(paramsOf)),
    );
  }

  /** One row as a plain write, several as an unlogged batch. */
  private async send(query: string, rows: cassandra.ArrayOrObject[]): Promise<void> {
    if (rows.length === 1) await this.client.execute(query, rows[0]!, { prepare: true });
    else
      await this.client.batch(
        rows.map((params) => ({ query, params })),
        { prepare: true, logged: false },
      );
  }

  /** The replicas of an order's orders_by_id partition, as a key ('' on a single node: all the same). */
  private replicaSetOf(orderId: string): string {
    if (this.client.hosts.length <= 1) return '';
    const replicas = this.client.getReplicas(this.keyspace, Buffer.from(orderId, 'utf8'));
    if (!replicas) return '';
    let key = this.replicaSetKeys.get(replicas);
    if (key === undefined) {
      key = replicas
        .map((h) => h.address)
        .sort()
        .join(',');
      this.replicaSetKeys.set(replicas, key);
    }
    return key;
  }
}

type Request = { query: string; rows: Row[] } | { query: string; orders: RawOrder[] };

const byKey = (row: Row) => row.key;
/** A single-partition batch has no size threshold. */
const noBytes = () => 0;
const paramsOf = (row: Row) => row.params;

/**
 * The order's orders_by_id values, in the column order of the insert. Made as its request is sent,
 * not with the chunk: a chunk's orders wait for the requests before theirs, and values made early
 * (an array and two Buffers per order) would be copied by every young-generation collection meanwhile.
 */
export function byIdParams({ order, json, acceptedAt, partition, offset }: RawOrder): cassandra.ArrayOrObject {
  return [order.order_id, json, cqlTimestamp(acceptedAt), partition, cqlBigint(offset)];
}

/** The order's orders_by_id row's data, as counted against a batch's size limit. */
export const idRowBytes = ({ order, json }: RawOrder): number =>
  json.length + order.order_id.length + ID_ROW_OVERHEAD_BYTES;

interface HourPartition {
  index: number;
  day: cassandra.types.LocalDate;
  hour: number;
  key: string;
}

/** The last hour partition built: nearly every order of a batch falls in the same one. */
let lastHour: HourPartition | undefined;

function hourPartition(createdAt: number): HourPartition {
  const index = hourIndex(createdAt);
  if (lastHour?.index !== index) {
    const { day, hour } = hourPartitionOf(new Date(createdAt));
    lastHour = { index, day: cassandra.types.LocalDate.fromString(day), hour, key: `${day}/${hour}` };
  }
  return lastHour;
}

/** The order's orders_by_hour row, keyed by its Cassandra partition (day/hour). */
export function byHourRow({ order, createdAt }: DatedOrder): Row {
  const { day, hour, key } = hourPartition(createdAt);
  return {
    key,
    params: [
      day,
      hour,
      cqlTimestamp(createdAt),
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
