import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LIMITS, SALES_DIMENSIONS, type AcceptedOrder } from '@salespipeline/shared';
import { expectedAggregates, largestOrder, orderArbitrary } from '@salespipeline/shared/testing';
import { aggregate as aggregateDated, compareCodePoints, datedOrder } from './aggregate.js';

const aggregate = (orders: AcceptedOrder[]) => aggregateDated(orders.map(datedOrder));

describe('aggregate', () => {
  it('sums money exactly beyond 2^53 cents', () => {
    // One cent below the largest total, so the sum is odd in its last digits and no double holds it.
    const order = largestOrder('big', '2026-03-01T11:59:30+05:30');
    order.items[0]!.discount_amount = 0.01;
    order.grand_total = LIMITS.maxItems * LIMITS.maxPrice * LIMITS.maxQty - 0.01;
    const n = 11;
    const orders = Array.from({ length: n }, (_, i) => ({ ...order, order_id: `big-${i}` }));
    const total = aggregate(orders).find((r) => r.dim === 'total')!;
    const perOrder = BigInt(LIMITS.maxItems * LIMITS.maxPrice * LIMITS.maxQty) * 100n - 1n;
    expect(total.revenueCents).toBe(perOrder * BigInt(n));
    expect(total.revenueCents > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(total.discountCents).toBe(BigInt(n));
    expect(total.orders).toBe(n);
    expect(total.items).toBe(n * LIMITS.maxItems * LIMITS.maxQty);
    expect(total.minute).toBe(Date.parse('2026-03-01T06:29:00Z'));
    const sku0 = aggregate(orders).find((r) => r.dim === 'sku' && r.value === order.items[0]!.sku)!;
    expect(sku0.revenueCents).toBe((BigInt(LIMITS.maxPrice) * 100n * BigInt(LIMITS.maxQty) - 1n) * BigInt(n));
  });

  it('counts each order once per row, whatever its lines (property)', () => {
    const t = Date.parse('2026-03-01T12:00:00Z');
    const orders = fc.uniqueArray(orderArbitrary({ minTime: t - 180_000, maxTime: t }), {
      maxLength: 40,
      selector: (o) => o.order_id,
    });
    fc.assert(
      fc.property(orders, (batch) => {
        const rows = new Map(
          aggregate(batch).map((r) => [
            `${r.dim}|${new Date(r.minute).toISOString()}|${r.value}`,
            { orders: r.orders, items: r.items, revenue: Number(r.revenueCents), discount: Number(r.discountCents) },
          ]),
        );
        expect(rows).toEqual(expectedAggregates(batch));
      }),
      { numRuns: 200 },
    );
  });

  it("comes sorted by sales_by_minute's key: dimension as declared, minute, value by code point", () => {
    const order = largestOrder('o', '2026-03-01T12:00:30Z');
    order.items = order.items.slice(0, 3);
    order.items[0]!.sku = 'z';
    order.items[1]!.sku = '\u{1F600}';
    order.items[2]!.sku = '\uFFFD';
    const rows = aggregate([order, { ...order, order_id: 'p', created_at: '2026-03-01T11:59:59Z' }]);
    const keys = rows.map((r) => [SALES_DIMENSIONS.indexOf(r.dim), r.minute, Buffer.from(r.value)] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || Buffer.compare(a[2], b[2]));
    expect(keys).toEqual(sorted);
    expect(rows.filter((r) => r.dim === 'sku').map((r) => r.value)).toEqual([
      'z',
      '\uFFFD',
      '\u{1F600}',
      'z',
      '\uFFFD',
      '\u{1F600}',
    ]);
  });

  it('compares strings as UTF-8 bytes do', () => {
    const words = fc.string({ unit: 'binary', maxLength: 6 });
    fc.assert(
      fc.property(words, words, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});
