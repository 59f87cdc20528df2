/**
 * Per-minute aggregate deltas of a set of (new, on-time) orders, in integer cents. Amounts are summed
 * as BigInt: one order is at most 10^15 cents, so a few thousand orders of a minute already pass 2^53.
 * Counts stay numbers (a batch holds far fewer than 2^53 / 10^6 orders).
 */
import { centsOf, type AcceptedOrder, type SalesDimension } from '@salespipeline/shared';

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

export const minuteOf = (createdAt: string): number => Math.floor(Date.parse(createdAt) / 60_000) * 60_000;

/**
 * total/status/payment_method rows count each order once with its grand_total as revenue;
 * category/sku rows count an order once per distinct value, with the net amount of its lines there.
 * Rows come sorted by primary key, so concurrent transactions lock them in the same order.
 */
export function aggregate(orders: AcceptedOrder[]): AggregateRow[] {
  const rows = new Map<string, AggregateRow>();
  const add = (
    dim: SalesDimension,
    minute: number,
    value: string,
    items: number,
    revenue: bigint,
    discount: bigint,
  ) => {
    const key = `${dim}\u0000${minute}\u0000${value}`;
    let row = rows.get(key);
    if (!row) {
      row = { dim, minute, value, orders: 0, items: 0, revenueCents: 0n, discountCents: 0n };
      rows.set(key, row);
    }
    row.orders += 1;
    row.items += items;
    row.revenueCents += revenue;
    row.discountCents += discount;
  };
  for (const order of orders) {
    const minute = minuteOf(order.created_at);
    let items = 0;
    let discount = 0n;
    const lines = new Map<string, { items: number; net: bigint; discount: bigint }>();
    for (const line of order.items) {
      const lineDiscount = BigInt(centsOf(line.discount_amount));
      const net = BigInt(centsOf(line.price)) * BigInt(line.qty_ordered) - lineDiscount;
      items += line.qty_ordered;
      discount += lineDiscount;
      for (const key of [`category\u0000${line.category}`, `sku\u0000${line.sku}`]) {
        const acc = lines.get(key) ?? { items: 0, net: 0n, discount: 0n };
        acc.items += line.qty_ordered;
        acc.net += net;
        acc.discount += lineDiscount;
        lines.set(key, acc);
      }
    }
    const revenue = BigInt(centsOf(order.grand_total));
    add('total', minute, '', items, revenue, discount);
    add('status', minute, order.status, items, revenue, discount);
    add('payment_method', minute, order.payment_method, items, revenue, discount);
    for (const [key, acc] of lines) {
      const [dim, value] = key.split('\u0000') as [SalesDimension, string];
      add(dim, minute, value, acc.items, acc.net, acc.discount);
    }
  }
  return [...rows.values()].sort(
    (a, b) => cmp(a.dim, b.dim) || a.minute - b.minute || cmp(Buffer.from(a.value), Buffer.from(b.value)),
  );
}

const cmp = <T extends string | Buffer>(a: T, b: T): number =>
  typeof a === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : Buffer.compare(a as Buffer, b as Buffer);
