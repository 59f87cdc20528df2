/**
 * Valid orders at the edges of the schema: the most lines, every text at its longest (in 4-byte
 * UTF-8 characters where allowed), the highest prices and quantities, event times written with
 * non-UTC offsets. The bounds are read from the schema, so they follow it.
 */
import fc from 'fast-check';
import { LIMITS, OrderItemSchema, OrderSchema, type AcceptedOrder, type OrderItem } from '../order/schema.js';
import { linesCents } from './orders.js';

/** Offsets that move the local date or hour away from UTC, including half and quarter hours. */
export const NON_UTC_OFFSETS_MINUTES = [330, 345, -210, 840, -720, 60, -60] as const;

/** `at` written as RFC 3339 local time with the given offset, e.g. 2026-01-01T05:29:59.123+05:30. */
export function withOffset(at: Date, offsetMinutes: number): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const maxLength = (schema: { maxLength?: number }): number => {
  if (schema.maxLength === undefined) throw new Error('schema field without maxLength');
  return schema.maxLength;
};

/** Exactly `length` code points, starting with `prefix`, filled with multi-byte characters. */
export function longText(prefix: string, length: number): string {
  const fill = ['🎁', 'é', 'Ü', '漢', '-', 'x'];
  const chars = Array.from(prefix);
  for (let i = 0; chars.length < length; i++) chars.push(fill[i % fill.length]!);
  return chars.slice(0, length).join('');
}

const item = OrderItemSchema.properties;
const order = OrderSchema.properties;

/**
 * The largest valid order: LIMITS.maxItems lines with the longest texts. `lineCents` (default: the
 * highest price) and `qty` choose the money; distinct SKUs and categories give one aggregate row each.
 */
export function maxSizeOrder(
  orderId: string,
  at: Date,
  opts: { offsetMinutes?: number; priceCents?: number; qty?: number } = {},
): AcceptedOrder {
  const priceCents = opts.priceCents ?? LIMITS.maxPrice * 100 - 1;
  const qty = opts.qty ?? 1;
  const items: OrderItem[] = Array.from({ length: LIMITS.maxItems }, (_, i) => ({
    item_id: longText(`i${i}-`, maxLength(item.item_id)),
    sku: longText(`SKU-${i}-`, maxLength(item.sku)),
    category: longText(`Cat-${i % 7}-`, maxLength(item.category)),
    price: priceCents / 100,
    qty_ordered: qty,
    discount_amount: i % 2 === 0 ? 0 : Math.floor((priceCents * qty) / 10) / 100,
  }));
  return {
    order_id: orderId,
    created_at: withOffset(at, opts.offsetMinutes ?? NON_UTC_OFFSETS_MINUTES[0]),
    status: 'complete',
    customer_id: longText('cust-', maxLength(order.customer_id)),
    payment_method: longText('pay-', maxLength(order.payment_method)),
    currency: 'EUR',
    items,
    grand_total: linesCents(items) / 100,
  };
}

/**
 * Random valid edge orders: many lines, long texts, high prices, non-UTC offsets. `maxOrderCents`
 * bounds grand_total so sums over a few orders stay exact in a JS number (2^53 cents).
 */
export const edgeOrderArbitrary = (opts: {
  minTime: number;
  maxTime: number;
  maxOrderCents?: number;
}): fc.Arbitrary<AcceptedOrder> =>
  fc
    .record({
      id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      time: fc.integer({ min: opts.minTime, max: opts.maxTime }),
      offset: fc.constantFrom(...NON_UTC_OFFSETS_MINUTES),
      lines: fc.integer({ min: 1, max: LIMITS.maxItems }),
      textLength: fc.integer({ min: 1, max: 128 }),
    })
    .map(({ id, time, offset, lines, textLength }) => {
      const budget = Math.floor((opts.maxOrderCents ?? 2 ** 53 / 64) / lines);
      const priceCents = Math.min(LIMITS.maxPrice * 100 - 1, budget);
      const qty = Math.max(1, Math.min(LIMITS.maxQty, Math.floor(budget / Math.max(1, priceCents))));
      const base = maxSizeOrder(id, new Date(time), { offsetMinutes: offset, priceCents, qty });
      const items = base.items.slice(0, lines).map((i) => ({
        ...i,
        sku: Array.from(i.sku).slice(0, textLength).join('').trimEnd() || 'sku',
        category: Array.from(i.category).slice(0, textLength).join('').trimEnd() || 'cat',
      }));
      return { ...base, items, grand_total: linesCents(items) / 100 };
    });
