/**
 * fast-check arbitraries of valid orders (and helpers) for the property-based tests. By default they
 * are everyday orders; `edges: true` mixes in the bounds of the schema too: the most lines, strings of
 * the longest length in 4-byte characters, the highest prices and quantities, and event times written
 * with non-UTC offsets. largestOrder() is the biggest valid order, in bytes and in money.
 */
import fc from 'fast-check';
import { LIMITS, ORDER_STATUSES, type AcceptedOrder, type OrderItem } from '../order/schema.js';

const word = (values: string[]) => fc.constantFrom(...values);
const cents = (max: number) => fc.integer({ min: 0, max });

/** Characters that stress the stores: 1- to 4-byte UTF-8, quotes, a backslash, an inner space. */
const WIDE_CHARS = ['a', 'Z', '9', '-', 'é', 'Ω', '中', '🎁', "'", '"', '\\', '%', ' '];

/** A valid text of exactly `length` code points (the unit of the schema's maxLength). */
const textOfLength = (length: number) =>
  fc
    .array(fc.constantFrom(...WIDE_CHARS), { minLength: length, maxLength: length })
    .map((chars) => chars.map((c, i) => (c === ' ' && (i === 0 || i === length - 1) ? '🎁' : c)).join(''));

const text = (everyday: fc.Arbitrary<string>, maxLength: number, edges: boolean) =>
  edges ? fc.oneof(everyday, textOfLength(maxLength)) : everyday;

/** Offsets of real time zones away from UTC, including the extremes and the non-hour ones. */
export const NON_UTC_OFFSETS = ['+05:30', '+05:45', '-09:30', '+14:00', '-12:00', '+01:00', '-03:00'] as const;
const UTC_OFFSETS = ['Z', '+00:00', ...NON_UTC_OFFSETS];

/** RFC 3339 of `time` as a clock at `offset` shows it (the same instant). */
export function withOffset(time: number, offset: string): string {
  if (offset === 'Z') return new Date(time).toISOString();
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(time + minutes * 60_000).toISOString().slice(0, 23)}${offset}`;
}

const itemOf = (edges: boolean): fc.Arbitrary<OrderItem> =>
  fc
    .record({
      item_id: text(fc.stringMatching(/^[a-z0-9]{1,12}$/), 64, edges),
      sku: text(word(['SKU-1', 'SKU-2', 'SKU-3', 'sku-1', 'Ünïcode-🎁', 'SKU 4']), 128, edges),
      category: text(word(['Books', 'books', "Men's Fashion", 'Mobiles & Tablets', 'Électronique']), 128, edges),
      priceCents: edges ? fc.oneof(cents(5_000_000), cents(LIMITS.maxPrice * 100)) : cents(5_000_000),
      qty_ordered: edges
        ? fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: LIMITS.maxQty }))
        : fc.integer({ min: 1, max: 50 }),
      discountPct: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ priceCents, discountPct, ...rest }) => ({
      ...rest,
      price: priceCents / 100,
      discount_amount: Math.floor((priceCents * rest.qty_ordered * discountPct) / 10_000) / 100,
    }));

export const itemArbitrary: fc.Arbitrary<OrderItem> = itemOf(false);

/** Sum of the lines in cents, the way a client computes grand_total. */
export const linesCents = (items: OrderItem[]) =>
  items.reduce((s, i) => s + Math.round(i.price * 100) * i.qty_ordered - Math.round(i.discount_amount * 100), 0);

export const orderArbitrary = (
  opts: { idPrefix?: string; minTime?: number; maxTime?: number; edges?: boolean } = {},
): fc.Arbitrary<AcceptedOrder> => {
  const edges = opts.edges ?? false;
  const item = itemOf(edges);
  return fc
    .record({
      id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
      time: fc.integer({
        min: opts.minTime ?? (opts.maxTime ?? Date.now()) - 6 * 3600_000,
        max: opts.maxTime ?? Date.now(),
      }),
      offset: edges ? fc.constantFrom(...UTC_OFFSETS) : fc.constant('Z'),
      status: fc.constantFrom(...ORDER_STATUSES),
      customer_id: text(fc.stringMatching(/^c[0-9]{1,6}$/), 64, edges),
      payment_method: text(word(['cod', 'Payaxis', 'Easypay', 'jazzwallet', 'bankalfalah']), 64, edges),
      currency: word(['USD', 'PKR', 'EUR']),
      items: edges
        ? fc.oneof(
            fc.array(item, { minLength: 1, maxLength: 6 }),
            fc.array(item, { minLength: LIMITS.maxItems, maxLength: LIMITS.maxItems }),
          )
        : fc.array(item, { minLength: 1, maxLength: 6 }),
    })
    .map(({ id, time, offset, items, ...rest }) => ({
      order_id: `${opts.idPrefix ?? ''}${id}`.slice(0, 64),
      created_at: withOffset(time, offset),
      ...rest,
      items,
      grand_total: linesCents(items) / 100,
    }));
};

/**
 * The largest valid order: the most lines, each a distinct SKU and category, every text at its
 * longest in 4-byte characters, the highest price and (unless `qty` says otherwise) quantity, so
 * grand_total at its maximum.
 */
export function largestOrder(
  orderId: string,
  createdAt: string,
  { qty = LIMITS.maxQty as number } = {},
): AcceptedOrder {
  const long = (length: number, i: number) => `${'🎁'.repeat(length - 4)}${String(i).padStart(4, '0')}`;
  const items = Array.from({ length: LIMITS.maxItems }, (_, i) => ({
    item_id: long(64, i),
    sku: long(128, i),
    category: long(128, i),
    price: LIMITS.maxPrice,
    qty_ordered: qty,
    discount_amount: 0,
  }));
  return {
    order_id: orderId,
    created_at: createdAt,
    status: 'complete',
    customer_id: long(64, 0),
    payment_method: long(64, 1),
    currency: 'USD',
    items,
    grand_total: linesCents(items) / 100,
  };
}
