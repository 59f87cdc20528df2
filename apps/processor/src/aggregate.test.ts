import { describe, expect, it } from '@jest/globals';
import { LIMITS } from '@salespipeline/shared';
import { largestOrder } from '@salespipeline/shared/testing';
import { aggregate } from './aggregate.js';

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
});
