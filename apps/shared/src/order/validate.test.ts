import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { largestOrder, orderArbitrary } from '../testing/orders.js';
import { LIMITS } from './schema.js';
import { validateBatch, validateOrder } from './validate.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const valid = () => ({
  order_id: 'ord-1',
  created_at: '2026-03-01T11:59:00Z',
  status: 'complete',
  customer_id: 'c1',
  payment_method: 'cod',
  items: [
    { item_id: 'i1', sku: 'SKU-1', category: 'Books', price: 10.05, qty_ordered: 3, discount_amount: 0.15 },
    { item_id: 'i2', sku: 'SKU-2', category: 'Toys', price: 0, qty_ordered: 1, discount_amount: 0 },
  ],
  grand_total: 30,
});
const errorsOf = (input: unknown) => {
  const r = validateOrder(input, { now: NOW });
  return r.ok ? [] : r.errors;
};

describe('validateOrder', () => {
  it('accepts a valid order and sets the default currency', () => {
    const r = validateOrder(valid(), { now: NOW, defaultCurrency: 'PKR' });
    expect(r).toEqual({ ok: true, order: { ...valid(), currency: 'PKR' } });
    const own = validateOrder({ ...valid(), currency: 'EUR' }, { now: NOW, defaultCurrency: 'PKR' });
    expect(own.ok && own.order.currency).toBe('EUR');
  });

  it.each([
    ['unknown field', { ...valid(), extra: 1 }, '/extra', 'unknown field'],
    ['missing field', (({ status: _s, ...o }) => o)(valid()), '/status', 'is required'],
    ['bad status', { ...valid(), status: 'lost' }, '/status', 'must be one of'],
    ['bad order_id', { ...valid(), order_id: 'a b' }, '/order_id', 'must match'],
    ['long order_id', { ...valid(), order_id: 'x'.repeat(65) }, '/order_id', 'must match'],
    ['bad date', { ...valid(), created_at: '2026-03-01 11:00' }, '/created_at', 'date-time'],
    ['no offset', { ...valid(), created_at: '2026-03-01T11:00:00' }, '/created_at', 'date-time'],
    ['future', { ...valid(), created_at: '2026-03-01T12:05:01Z' }, '/created_at', '5 minutes'],
    ['currency', { ...valid(), currency: 'usd' }, '/currency', 'must match'],
    ['no items', { ...valid(), items: [] }, '/items', 'fewer than 1'],
    ['too many items', { ...valid(), items: Array(LIMITS.maxItems + 1).fill(valid().items[1]) }, '/items', 'more'],
    ['negative price', { ...valid(), items: [{ ...valid().items[0], price: -1 }] }, '/items/0/price', '>= 0'],
    [
      '3 decimals',
      { ...valid(), items: [valid().items[0], { ...valid().items[1], price: 0.001 }] },
      '/items/1/price',
      '2 decimals',
    ],
    [
      '3 decimals on a large amount',
      { ...valid(), items: [{ ...valid().items[1], price: 499999.999 }], grand_total: 500000 },
      '/items/0/price',
      '2 decimals',
    ],
    ['3 decimals in the total', { ...valid(), grand_total: 30.001 }, '/grand_total', '2 decimals'],
    ['zero qty', { ...valid(), items: [{ ...valid().items[0], qty_ordered: 0 }] }, '/items/0/qty_ordered', '>= 1'],
    [
      'fractional qty',
      { ...valid(), items: [{ ...valid().items[0], qty_ordered: 1.5 }] },
      '/items/0/qty_ordered',
      'integer',
    ],
    ['item field', { ...valid(), items: [{ ...valid().items[0], colour: 'red' }] }, '/items/0/colour', 'unknown field'],
    ['total', { ...valid(), grand_total: 30.02 }, '/grand_total', 'must equal'],
    ['trailing space', { ...valid(), customer_id: 'c1 ' }, '/customer_id', 'must match'],
    ['lone surrogate', { ...valid(), payment_method: 'a\ud800' }, '/payment_method', 'must match'],
    ['not an object', [1], '', 'must be object'],
  ])('rejects %s with its JSON path', (_name, input, path, message) => {
    const errors = errorsOf(input);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('accepts grand_total within 0.01 of the lines', () => {
    expect(errorsOf({ ...valid(), grand_total: 30.01 })).toEqual([]);
    expect(errorsOf({ ...valid(), grand_total: 29.99 })).toEqual([]);
  });

  it('accepts every generated valid order (property)', () => {
    fc.assert(
      fc.property(orderArbitrary({ maxTime: NOW }), (order) => {
        expect(errorsOf(structuredClone(order))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects any order whose grand_total is off by more than 0.01 (property)', () => {
    fc.assert(
      fc.property(orderArbitrary({ maxTime: NOW }), fc.integer({ min: 2, max: 1_000_000 }), (order, off) => {
        const bad = { ...order, grand_total: Math.round(order.grand_total * 100 + off) / 100 };
        expect(errorsOf(bad).map((e) => e.path)).toEqual(['/grand_total']);
      }),
    );
  });
});

describe('validateBatch', () => {
  it('accepts a batch and returns the orders', () => {
    const r = validateBatch({ orders: [valid(), { ...valid(), order_id: 'ord-2' }] }, { now: NOW });
    expect(r.ok && r.orders.map((o) => o.order_id)).toEqual(['ord-1', 'ord-2']);
  });

  it('reports the index and path of every error, schema and semantic', () => {
    const r = validateBatch(
      { orders: [valid(), { ...valid(), status: 'x' }, valid(), { ...valid(), grand_total: 1 }] },
      { now: NOW },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([{ index: 1, path: '/status', message: expect.stringContaining('one of') }]);
    const semantic = validateBatch({ orders: [valid(), { ...valid(), grand_total: 1 }] }, { now: NOW });
    expect(semantic.ok ? [] : semantic.errors).toEqual([
      { index: 1, path: '/grand_total', message: expect.stringContaining('must equal') },
    ]);
  });

  it('rejects an empty, oversized or malformed envelope', () => {
    expect(validateBatch({ orders: [] }).ok).toBe(false);
    expect(validateBatch({ orders: Array(LIMITS.maxBatch + 1).fill(valid()) }).ok).toBe(false);
    const r = validateBatch([valid()]);
    expect(r.ok ? [] : r.errors).toEqual([{ path: '', message: 'must be object' }]);
  });
});

describe('the bounds of the schema', () => {
  it('accepts the largest valid order and every generated edge-case order (property)', () => {
    expect(errorsOf(largestOrder('max-1', '2026-03-01T16:59:00+05:00'))).toEqual([]);
    fc.assert(
      fc.property(orderArbitrary({ maxTime: NOW, edges: true }), (order) => {
        expect(errorsOf(structuredClone(order))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('generates the edges: max-size orders, longest strings, highest prices, non-UTC offsets', () => {
    const sample = fc.sample(orderArbitrary({ maxTime: NOW, edges: true }), { numRuns: 300, seed: 7 });
    expect(sample.some((o) => o.items.length === LIMITS.maxItems)).toBe(true);
    expect(sample.some((o) => o.items.some((i) => [...i.sku].length === 128))).toBe(true);
    expect(sample.some((o) => o.items.some((i) => i.price > 1_000_000))).toBe(true);
    expect(sample.some((o) => /[+-]\d\d:\d\d$/.test(o.created_at) && !o.created_at.endsWith('+00:00'))).toBe(true);
    const largest = largestOrder('max-1', '2026-03-01T11:59:00Z');
    expect(largest.grand_total).toBe(LIMITS.maxItems * LIMITS.maxPrice * LIMITS.maxQty);
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeGreaterThan(100_000);
  });
});
