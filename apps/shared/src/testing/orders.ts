/** fast-check arbitraries of valid orders (and helpers) for the property-based tests. */
import fc from 'fast-check';
import { ORDER_STATUSES, type AcceptedOrder, type OrderItem } from '../order/schema.js';

const word = (values: string[]) => fc.constantFrom(...values);
const cents = (max: number) => fc.integer({ min: 0, max });

export const itemArbitrary: fc.Arbitrary<OrderItem> = fc
  .record({
    item_id: fc.stringMatching(/^[a-z0-9]{1,12}$/),
    sku: word(['SKU-1', 'SKU-2', 'SKU-3', 'sku-1', 'Ünïcode-🎁', 'SKU 4']),
    category: word(['Books', 'books', "Men's Fashion", 'Mobiles & Tablets', 'Électronique']),
    priceCents: cents(5_000_000),
    qty_ordered: fc.integer({ min: 1, max: 50 }),
    discountPct: fc.integer({ min: 0, max: 100 }),
  })
  .map(({ priceCents, discountPct, ...rest }) => ({
    ...rest,
    price: priceCents / 100,
    discount_amount: Math.floor((priceCents * rest.qty_ordered * discountPct) / 10_000) / 100,
  }));

/** Sum of the lines in cents, the way a client computes grand_total. */
export const linesCents = (items: OrderItem[]) =>
  items.reduce((s, i) => s + Math.round(i.price * 100) * i.qty_ordered - Math.round(i.discount_amount * 100), 0);

export const orderArbitrary = (
  opts: { idPrefix?: string; minTime?: number; maxTime?: number } = {},
): fc.Arbitrary<AcceptedOrder> =>
  fc
    .record({
      id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
      time: fc.integer({
        min: opts.minTime ?? (opts.maxTime ?? Date.now()) - 6 * 3600_000,
        max: opts.maxTime ?? Date.now(),
      }),
      status: fc.constantFrom(...ORDER_STATUSES),
      customer_id: fc.stringMatching(/^c[0-9]{1,6}$/),
      payment_method: word(['cod', 'Payaxis', 'Easypay', 'jazzwallet', 'bankalfalah']),
      currency: word(['USD', 'PKR', 'EUR']),
      items: fc.array(itemArbitrary, { minLength: 1, maxLength: 6 }),
    })
    .map(({ id, time, items, ...rest }) => ({
      order_id: `${opts.idPrefix ?? ''}${id}`.slice(0, 64),
      created_at: new Date(time).toISOString(),
      ...rest,
      items,
      grand_total: linesCents(items) / 100,
    }));
