/**
 * The dashboard's reads: parameterised SQL over `sales_by_minute` (PRIMARY KEY (dim, minute,
 * dim_value): every query is a range on (dim, minute)) and CQL over `orders_by_hour` (one
 * partition per UTC hour, newest first). Money comes back as DECIMAL text and is summed in cents.
 */
import cassandra from 'cassandra-driver';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import { decimalToCents, hourPartitionOf, type SalesDimension } from '@salespipeline/shared';
import type { Window } from './ranges.js';

export interface Totals {
  orders: number;
  items: number;
  revenueCents: number;
  discountCents: number;
  /** Orders whose status is canceled, refund or order_refunded. */
  refundedOrCanceled: number;
}

export interface SeriesPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  orders: number;
  items: number;
  revenueCents: number;
}

export interface BreakdownRow {
  value: string;
  orders: number;
  items: number;
  revenueCents: number;
}

export interface LatestOrder {
  order_id: string;
  created_at: string;
  status: string;
  customer_id: string;
  payment_method: string;
  currency: string;
  grand_total: number;
  item_count: number;
}

export const REFUND_OR_CANCEL = ['canceled', 'refund', 'order_refunded'] as const;
export const BREAKDOWN_DIMS = [
  'status',
  'category',
  'payment_method',
  'sku',
] as const satisfies readonly SalesDimension[];
export type BreakdownDim = (typeof BREAKDOWN_DIMS)[number];

const cents = (value: unknown): number => (value === null || value === undefined ? 0 : decimalToCents(String(value)));
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export class SalesReader {
  constructor(
    private readonly pool: mysql.Pool,
    private readonly cassandraClient: cassandra.Client,
    private readonly keyspace: string,
  ) {}

  /**
   * Changes whenever the processor commits a batch (the stored offsets only grow), so the live loop
   * can skip recomputing while nothing happened. One row per partition: trivially cheap.
   */
  async version(): Promise<string> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT CAST(COALESCE(SUM(next_offset), 0) AS CHAR) AS v, COUNT(*) AS n FROM stream_offsets',
    );
    return `${rows[0]?.v ?? '0'}/${rows[0]?.n ?? 0}`;
  }

  /** Totals of the window and of the previous period ([prevFrom, from)), in one range scan. */
  async totals(w: Window): Promise<{ current: Totals; previous: Totals | undefined }> {
    const start = w.prevFrom ?? w.from;
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT minute >= ? AS cur,
              SUM(CASE WHEN dim = 'total' THEN orders ELSE 0 END) AS orders,
              SUM(CASE WHEN dim = 'total' THEN items ELSE 0 END) AS items,
              CAST(SUM(CASE WHEN dim = 'total' THEN revenue ELSE 0 END) AS CHAR) AS revenue,
              CAST(SUM(CASE WHEN dim = 'total' THEN discount ELSE 0 END) AS CHAR) AS discount,
              SUM(CASE WHEN dim = 'status' AND dim_value IN (?) THEN orders ELSE 0 END) AS refunded
       FROM sales_by_minute
       WHERE dim IN ('total', 'status') AND minute >= ? AND minute < ?
       GROUP BY cur`,
      [w.from, [...REFUND_OR_CANCEL], start, w.to],
    );
    const empty = (): Totals => ({ orders: 0, items: 0, revenueCents: 0, discountCents: 0, refundedOrCanceled: 0 });
    const current = empty();
    const previous = w.prevFrom ? empty() : undefined;
    for (const r of rows) {
      const target = Number(r.cur) ? current : previous;
      if (!target) continue;
      target.orders = num(r.orders);
      target.items = num(r.items);
      target.revenueCents = cents(r.revenue);
      target.discountCents = cents(r.discount);
      target.refundedOrCanceled = num(r.refunded);
    }
    return { current, previous };
  }

  /** The first minute with data (an index lookup), to size the buckets of `all`. */
  async firstMinute(): Promise<Date | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT MIN(minute) AS m FROM sales_by_minute WHERE dim = 'total'",
    );
    const m = rows[0]?.m as Date | null | undefined;
    return m ?? undefined;
  }

  /** Orders/items/revenue per bucket of `bucketSeconds`, gaps filled with zeros. */
  async timeseries(w: Window, bucketSeconds: number, firstMinute?: Date): Promise<SeriesPoint[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', minute) DIV ? AS b,
              SUM(orders) AS orders, SUM(items) AS items, CAST(SUM(revenue) AS CHAR) AS revenue
       FROM sales_by_minute
       WHERE dim = 'total' AND minute >= ? AND minute < ?
       GROUP BY b ORDER BY b`,
      [bucketSeconds, w.from, w.to],
    );
    const step = bucketSeconds * 1000;
    const byBucket = new Map(rows.map((r) => [Number(r.b) * step, r]));
    const startMs = w.range === 'all' ? (firstMinute?.getTime() ?? w.openMinute.getTime()) : w.from.getTime();
    const first = Math.floor(startMs / step) * step;
    const last = Math.floor(Math.min(w.to.getTime() - 1, w.openMinute.getTime()) / step) * step;
    const points: SeriesPoint[] = [];
    for (let t = first; t <= last; t += step) {
      const r = byBucket.get(t);
      points.push({ t, orders: num(r?.orders), items: num(r?.items), revenueCents: cents(r?.revenue) });
    }
    return points;
  }

  /** Every value of the dimensions in the window (low-cardinality dimensions). */
  async breakdowns(w: Window, dims: readonly BreakdownDim[]): Promise<Record<string, BreakdownRow[]>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT dim, dim_value, SUM(orders) AS orders, SUM(items) AS items, CAST(SUM(revenue) AS CHAR) AS revenue
       FROM sales_by_minute
       WHERE dim IN (?) AND minute >= ? AND minute < ?
       GROUP BY dim, dim_value`,
      [[...dims], w.from, w.to],
    );
    const out: Record<string, BreakdownRow[]> = Object.fromEntries(dims.map((d) => [d, []]));
    for (const r of rows) {
      out[r.dim as string]?.push({
        value: String(r.dim_value),
        orders: num(r.orders),
        items: num(r.items),
        revenueCents: cents(r.revenue),
      });
    }
    for (const list of Object.values(out)) list.sort((a, b) => b.revenueCents - a.revenueCents || a.orders - b.orders);
    return out;
  }

  /** The `limit` values of a dimension with the highest revenue or quantity (items) in the window. */
  async top(w: Window, dim: BreakdownDim, by: 'revenue' | 'quantity', limit: number): Promise<BreakdownRow[]> {
    const order = by === 'revenue' ? 'SUM(revenue) DESC, SUM(items) DESC' : 'SUM(items) DESC, SUM(revenue) DESC';
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT dim_value, SUM(orders) AS orders, SUM(items) AS items, CAST(SUM(revenue) AS CHAR) AS revenue
       FROM sales_by_minute
       WHERE dim = ? AND minute >= ? AND minute < ?
       GROUP BY dim_value ORDER BY ${order}, dim_value LIMIT ?`,
      [dim, w.from, w.to, limit],
    );
    return rows.map((r) => ({
      value: String(r.dim_value),
      orders: num(r.orders),
      items: num(r.items),
      revenueCents: cents(r.revenue),
    }));
  }

  /**
   * The newest orders by event time: walks the hourly partitions from the next hour (orders may be
   * stamped up to 5 minutes ahead) back at most `lookbackHours`, stopping once `limit` are found.
   */
  async latestOrders(now: number, limit: number, lookbackHours: number): Promise<LatestOrder[]> {
    const out: LatestOrder[] = [];
    const hourMs = 3600_000;
    const startHour = Math.floor(now / hourMs) * hourMs + hourMs;
    const query = `SELECT created_at, order_id, status, customer_id, payment_method, currency, grand_total, item_count
      FROM ${this.keyspace}.orders_by_hour WHERE day = ? AND hour = ? LIMIT ?`;
    for (let h = 0; h <= lookbackHours && out.length < limit; h++) {
      const { day, hour } = hourPartitionOf(new Date(startHour - h * hourMs));
      const rs = await this.cassandraClient.execute(
        query,
        [cassandra.types.LocalDate.fromString(day), hour, limit - out.length],
        { prepare: true },
      );
      for (const row of rs.rows) {
        out.push({
          order_id: row.get('order_id') as string,
          created_at: (row.get('created_at') as Date).toISOString(),
          status: row.get('status') as string,
          customer_id: row.get('customer_id') as string,
          payment_method: row.get('payment_method') as string,
          currency: row.get('currency') as string,
          grand_total: decimalToCents((row.get('grand_total') as cassandra.types.BigDecimal).toString()) / 100,
          item_count: Number(row.get('item_count')),
        });
      }
    }
    return out;
  }
}
