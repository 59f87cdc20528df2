/**
 * Reading back what the processor wrote, and what it should have written: free of jest, so the
 * benchmarks and other packages' tests use them too.
 */
import type cassandra from 'cassandra-driver';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import { centsOf, decimalToCents } from '../order/money.js';
import type { AcceptedOrder } from '../order/schema.js';
import { waitFor } from './wait.js';
export interface Totals {
  orders: number;
  items: number;
  revenue: number;
  discount: number;
}

/** The aggregates the test expects, computed from the orders directly (first version of each id). */
export function expectedAggregates(orders: AcceptedOrder[]): Map<string, Totals> {
  const firsts = new Map<string, AcceptedOrder>();
  for (const o of orders) if (!firsts.has(o.order_id)) firsts.set(o.order_id, o);
  const out = new Map<string, Totals>();
  const bump = (key: string, items: number, revenue: number, discount: number) => {
    const t = out.get(key) ?? { orders: 0, items: 0, revenue: 0, discount: 0 };
    out.set(key, {
      orders: t.orders + 1,
      items: t.items + items,
      revenue: t.revenue + revenue,
      discount: t.discount + discount,
    });
  };
  for (const o of firsts.values()) {
    const minute = new Date(Math.floor(new Date(o.created_at).getTime() / 60_000) * 60_000).toISOString();
    const items = o.items.reduce((s, i) => s + i.qty_ordered, 0);
    const discount = o.items.reduce((s, i) => s + centsOf(i.discount_amount), 0);
    const revenue = centsOf(o.grand_total);
    bump(`total|${minute}|`, items, revenue, discount);
    bump(`status|${minute}|${o.status}`, items, revenue, discount);
    bump(`payment_method|${minute}|${o.payment_method}`, items, revenue, discount);
    for (const dim of ['category', 'sku'] as const) {
      for (const value of new Set(o.items.map((i) => i[dim]))) {
        const lines = o.items.filter((i) => i[dim] === value);
        bump(
          `${dim}|${minute}|${value}`,
          lines.reduce((s, i) => s + i.qty_ordered, 0),
          lines.reduce((s, i) => s + centsOf(i.price) * i.qty_ordered - centsOf(i.discount_amount), 0),
          lines.reduce((s, i) => s + centsOf(i.discount_amount), 0),
        );
      }
    }
  }
  return out;
}

export async function readAggregates(pool: mysql.Pool): Promise<Map<string, Totals>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT dim, minute, dim_value, orders, items, CAST(revenue AS CHAR) AS revenue, CAST(discount AS CHAR) AS discount
     FROM sales_by_minute`,
  );
  return new Map(
    rows.map((r) => [
      `${r.dim}|${(r.minute as Date).toISOString()}|${r.dim_value}`,
      {
        orders: Number(r.orders),
        items: Number(r.items),
        revenue: decimalToCents(r.revenue as string),
        discount: decimalToCents(r.discount as string),
      },
    ]),
  );
}

export async function countProcessed(pool: mysql.Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_orders');
  return Number(rows[0]!.n);
}

export const waitForProcessed = (pool: mysql.Pool, n: number, timeoutMs = 60_000) =>
  waitFor(async () => (await countProcessed(pool)) >= n, { timeoutMs, what: `${n} processed orders` });

/**
 * Raw orders back from Cassandra (their stored JSON), in the order model's shape, by id: those whose id
 * starts with `idPrefix`. A keyspace shared with earlier runs may hold rows written before the JSON
 * column existed; they are outside the prefix of the run that reads, and one inside it is an error.
 */
export async function readRawOrders(
  client: cassandra.Client,
  keyspace: string,
  idPrefix = '',
): Promise<Map<string, AcceptedOrder>> {
  const out = new Map<string, AcceptedOrder>();
  let pageState: string | undefined;
  do {
    const rs = await client.execute(`SELECT order_id, order_json FROM ${keyspace}.orders_by_id`, [], {
      prepare: true,
      fetchSize: 500,
      ...(pageState ? { pageState } : {}),
    });
    pageState = rs.pageState ?? undefined;
    for (const r of rs.rows) {
      const id = r.get('order_id') as string;
      if (!id.startsWith(idPrefix)) continue;
      const json = r.get('order_json') as Buffer | null;
      if (!json) throw new Error(`orders_by_id row ${id} has no order_json`);
      out.set(id, normalise(JSON.parse(json.toString('utf8')) as AcceptedOrder));
    }
  } while (pageState);
  return out;
}

export async function countByHour(client: cassandra.Client, keyspace: string): Promise<number> {
  const rs = await client.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_hour`);
  return Number(rs.first().get('n'));
}

/** Normalises orders for comparison with what Cassandra returns (ms-precision UTC timestamps). */
export const normalise = (o: AcceptedOrder): AcceptedOrder => ({
  ...o,
  created_at: new Date(o.created_at).toISOString(),
});

/** The keys where two maps differ (at most `limit`), with both values: a readable, fast assertion. */
export function mapDiff<V>(actual: Map<string, V>, expected: Map<string, V>, limit = 5) {
  const out: Array<{ key: string; actual: V | undefined; expected: V | undefined }> = [];
  for (const key of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(key);
    const e = expected.get(key);
    if (canonical(a) !== canonical(e)) out.push({ key, actual: a, expected: e });
    if (out.length >= limit) break;
  }
  return out;
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );

export const hostPort = (s: string): [string, number] => {
  const [host, port] = s.split(':');
  return [host!, Number(port)];
};

/** A processor metric from /metrics, summed over its labels (0 when absent). */
export async function metricValue(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.reduce((a, b) => a + b, 0);
}
