/**
 * Per-minute aggregate deltas of a set of (new, on-time) orders, in integer cents. One order's
 * amounts are safe integers (LIMITS: at most 10^15 cents), so each is computed as a number; a row's
 * sum over many orders passes 2^53 after a few thousand of them, so each row keeps a number while
 * it is safe and carries the rest into a BigInt (see Cents). Counts stay numbers (a batch holds
 * far fewer than 2^53 / 10^6 orders). This runs for every order of the hot path: no per-order
 * string keys, maps or BigInts.
 */
import { centsOf, SALES_DIMENSIONS, type AcceptedOrder, type SalesDimension } from '@salespipeline/shared';

export interface AggregateRow {
  dim: SalesDimension;
  /** Start of the UTC event-time minute, ms since the epoch. */
  minute: number;
  value: string;
  orders: number;
  items: number;
  revenueCents: bigint;
  discountCents: bigint;
}

/** An order with its created_at in ms since the epoch, parsed once for every step that needs it. */
export interface DatedOrder {
  order: AcceptedOrder;
  createdAt: number;
}

export const datedOrder = (order: AcceptedOrder): DatedOrder => ({ order, createdAt: Date.parse(order.created_at) });

/** Start of the UTC minute of an instant (ms since the epoch). */
export const minuteStart = (ms: number): number => Math.floor(ms / 60_000) * 60_000;

/** Above this a number sum is carried into the BigInt: adding one order's amount (≤ 10^15) stays exact. */
const CARRY_ABOVE = Number.MAX_SAFE_INTEGER - 2 ** 51;

/** An exact sum of cents: a safe-integer part and the carried rest. */
class Cents {
  private small = 0;
  private carried = 0n;

  add(cents: number): void {
    this.small += cents;
    if (this.small > CARRY_ABOVE || this.small < -CARRY_ABOVE) {
      this.carried += BigInt(this.small);
      this.small = 0;
    }
  }

  total(): bigint {
    return this.carried + BigInt(this.small);
  }
}

class Row {
  orders = 0;
  items = 0;
  readonly revenue = new Cents();
  readonly discount = new Cents();
  /** The last order counted here: an order counts once per row even with several lines in it. */
  lastOrder = -1;

  constructor(
    readonly dim: SalesDimension,
    readonly minute: number,
    readonly value: string,
  ) {}

  add(order: number, items: number, revenue: number, discount: number): void {
    if (this.lastOrder !== order) {
      this.lastOrder = order;
      this.orders += 1;
    }
    this.items += items;
    this.revenue.add(revenue);
    this.discount.add(discount);
  }
}

/** The rows of one minute, by dimension and value. */
class MinuteRows {
  readonly total: Row;
  private readonly byDim = new Map<SalesDimension, Map<string, Row>>();

  constructor(readonly minute: number) {
    this.total = new Row('total', minute, '');
  }

  row(dim: SalesDimension, value: string): Row {
    let values = this.byDim.get(dim);
    if (!values) this.byDim.set(dim, (values = new Map()));
    let row = values.get(value);
    if (!row) values.set(value, (row = new Row(dim, this.minute, value)));
    return row;
  }

  *rows(): Iterable<Row> {
    yield this.total;
    for (const values of this.byDim.values()) yield* values.values();
  }
}

/**
 * total/status/payment_method rows count each order once with its grand_total as revenue;
 * category/sku rows count an order once per distinct value, with the net amount of its lines there.
 * Rows come sorted by primary key, so concurrent transactions lock them in the same order.
 */
export function aggregate(orders: readonly DatedOrder[]): AggregateRow[] {
  const minutes = new Map<number, MinuteRows>();
  orders.forEach(({ order, createdAt }, n) => {
    const minute = minuteStart(createdAt);
    let rows = minutes.get(minute);
    if (!rows) minutes.set(minute, (rows = new MinuteRows(minute)));
    let items = 0;
    let discount = 0;
    for (const line of order.items) {
      const lineDiscount = centsOf(line.discount_amount);
      const net = centsOf(line.price) * line.qty_ordered - lineDiscount;
      items += line.qty_ordered;
      discount += lineDiscount;
      rows.row('category', line.category).add(n, line.qty_ordered, net, lineDiscount);
      rows.row('sku', line.sku).add(n, line.qty_ordered, net, lineDiscount);
    }
    const revenue = centsOf(order.grand_total);
    rows.total.add(n, items, revenue, discount);
    rows.row('status', order.status).add(n, items, revenue, discount);
    rows.row('payment_method', order.payment_method).add(n, items, revenue, discount);
  });
  const out: AggregateRow[] = [];
  for (const rows of minutes.values()) {
    for (const r of rows.rows()) {
      out.push({
        dim: r.dim,
        minute: r.minute,
        value: r.value,
        orders: r.orders,
        items: r.items,
        revenueCents: r.revenue.total(),
        discountCents: r.discount.total(),
      });
    }
  }
  return out.sort(byPrimaryKey);
}

/** The order of sales_by_minute's key: dim (ENUM: declaration order), minute, dim_value (utf8mb4_bin: code points). */
function byPrimaryKey(a: AggregateRow, b: AggregateRow): number {
  return dimRank(a.dim) - dimRank(b.dim) || a.minute - b.minute || compareCodePoints(a.value, b.value);
}

const dimRank = (dim: SalesDimension): number => SALES_DIMENSIONS.indexOf(dim);

/**
 * Code point (= UTF-8 byte) order without encoding: UTF-16 code units compare the same way except a
 * surrogate (part of a code point ≥ U+10000) against a unit from U+E000 to U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    return xs === ys ? x - y : xs ? 1 : -1;
  }
  return a.length - b.length;
}
