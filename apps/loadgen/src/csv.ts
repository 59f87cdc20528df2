/**
 * Replays a CSV with the seed dataset's columns (item_id, status, created_at, sku, price,
 * qty_ordered, grand_total, category_name_1, discount_amount, payment_method, increment_id,
 * Customer ID). Rows are order lines; consecutive rows with the same increment_id form one order.
 * Money is rounded to cents and grand_total recomputed from the lines (the dataset's own column is
 * not always consistent with them); statuses outside the model map to the closest one.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ORDER_STATUSES, type AcceptedOrder, type OrderItem, type OrderStatus } from '@salespipeline/shared';

const STATUS_MAP: Record<string, OrderStatus> = {
  paid: 'processing',
  cod: 'pending',
  holded: 'pending',
  pending_paypal: 'pending',
  payment_review: 'pending',
  '\\N': 'pending',
};

export const mapStatus = (raw: string): OrderStatus =>
  (ORDER_STATUSES as readonly string[]).includes(raw) ? (raw as OrderStatus) : (STATUS_MAP[raw] ?? 'pending');

const clean = (s: string | undefined, fallback: string) => {
  const v = (s ?? '').trim().replace(/[\r\n]+/g, ' ');
  return v === '' || v === '\\N' ? fallback : v.slice(0, 128);
};
const cents = (s: string | undefined) => {
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 100) : undefined;
};

/** Dates like 2016-07-01, 7/1/2016 or 2016-07-01 10:00:00, read as UTC. */
export function parseDate(raw: string): number | undefined {
  const s = raw.trim();
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (us) return Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]));
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
  return Number.isFinite(t) ? t : undefined;
}

export interface CsvStats {
  rows: number;
  skippedRows: number;
  orders: number;
}

type CsvRow = Record<string, string>;
type CsvOptions = { retime: boolean; idPrefix: string; stats?: CsvStats };

/** Orders from the CSV, in file order. `retime` replaces created_at by the time it is read. */
export async function* readCsvOrders(path: string, opts: CsvOptions): AsyncGenerator<AcceptedOrder> {
  const stats = opts.stats ?? { rows: 0, skippedRows: 0, orders: 0 };
  const parser = createReadStream(path).pipe(
    parse({ columns: true, skip_empty_lines: true, relax_column_count: true, bom: true }),
  );
  for await (const { key, rows } of orderRows(parser as AsyncIterable<CsvRow>, stats)) {
    const order = orderOf(key, rows, opts, stats);
    if (order) {
      stats.orders += 1;
      yield order;
    }
  }
}

/** The rows grouped by order (consecutive rows with the same increment_id). */
async function* orderRows(
  parser: AsyncIterable<CsvRow>,
  stats: CsvStats,
): AsyncGenerator<{ key: string; rows: CsvRow[] }> {
  let current: { key: string; rows: CsvRow[] } | undefined;
  for await (const row of parser) {
    stats.rows += 1;
    const key = (row.increment_id ?? '').trim() || `row${stats.rows}`;
    if (current && current.key !== key) {
      yield current;
      current = undefined;
    }
    current ??= { key, rows: [] };
    current.rows.push(row);
  }
  if (current) yield current;
}

/** One order from its rows, or undefined when no item (or, without retime, no date) is usable. */
function orderOf(key: string, rows: CsvRow[], opts: CsvOptions, stats: CsvStats): AcceptedOrder | undefined {
  const first = rows[0]!;
  const created = parseDate(first.created_at ?? '');
  const items = itemsOf(key, rows, stats);
  if (items.length === 0 || (created === undefined && !opts.retime)) return undefined;
  return {
    order_id: `${opts.idPrefix}${key}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64),
    created_at: new Date(opts.retime ? Date.now() : created!).toISOString(),
    status: mapStatus((first.status ?? '').trim()),
    customer_id: clean(first['Customer ID'], 'unknown').slice(0, 64),
    payment_method: clean(first.payment_method, 'unknown').slice(0, 64),
    currency: 'PKR',
    items: items.slice(0, 100),
    grand_total:
      items
        .slice(0, 100)
        .reduce((s, i) => s + Math.round(i.price * 100) * i.qty_ordered - Math.round(i.discount_amount * 100), 0) / 100,
  };
}

/** The rows' valid items; a row with no price or an impossible quantity is counted as skipped. */
function itemsOf(key: string, rows: CsvRow[], stats: CsvStats): OrderItem[] {
  const items: OrderItem[] = [];
  for (const [i, r] of rows.entries()) {
    const price = cents(r.price);
    const qty = Math.round(Number(r.qty_ordered));
    const discount = Math.min(cents(r.discount_amount) ?? 0, (price ?? 0) * qty);
    if (price === undefined || !Number.isInteger(qty) || qty < 1 || qty > 10_000 || price > 1e9) {
      stats.skippedRows += 1;
      continue;
    }
    items.push({
      item_id: clean(r.item_id, `${key}-${i}`).slice(0, 64),
      sku: clean(r.sku, 'unknown'),
      category: clean(r.category_name_1, 'Others'),
      price: price / 100,
      qty_ordered: qty,
      discount_amount: discount / 100,
    });
  }
  return items;
}
