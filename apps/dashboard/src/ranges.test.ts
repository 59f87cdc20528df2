import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { bucketSeconds, END_OF_TIME, isRange, windowOf } from './ranges.js';
import { changeOf, kpisOf } from './snapshot.js';

describe('windowOf', () => {
  test('fixed ranges end with the open minute and have a previous period of the same length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.constantFrom('15m', '1h', '24h' as const),
        (now, range) => {
          const w = windowOf(range, now);
          const len = { '15m': 15, '1h': 60, '24h': 1440 }[range] * 60_000;
          expect(w.openMinute.getTime() % 60_000).toBe(0);
          expect(w.openMinute.getTime()).toBeLessThanOrEqual(now);
          expect(now - w.openMinute.getTime()).toBeLessThan(60_000);
          expect(w.to.getTime()).toBe(w.openMinute.getTime() + 60_000);
          expect(w.to.getTime() - w.from.getTime()).toBe(len);
          expect(w.from.getTime() - w.prevFrom!.getTime()).toBe(len);
        },
      ),
    );
  });

  test('all has no previous period and no end', () => {
    const w = windowOf('all', Date.UTC(2026, 0, 1, 12, 30, 15));
    expect(w.from.getTime()).toBe(0);
    expect(w.to).toEqual(END_OF_TIME);
    expect(w.prevFrom).toBeUndefined();
    expect(w.openMinute.toISOString()).toBe('2026-01-01T12:30:00.000Z');
  });

  test('isRange accepts exactly the four ranges', () => {
    expect(['15m', '1h', '24h', 'all'].every(isRange)).toBe(true);
    expect(['7d', '', 'ALL', undefined, 1].some(isRange)).toBe(false);
  });
});

describe('bucketSeconds', () => {
  test('a minute for fixed ranges; for all, the smallest nice bucket keeping ≤ 1440 points', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(bucketSeconds('24h', new Date(0), now)).toBe(60);
    expect(bucketSeconds('all', undefined, now)).toBe(60);
    expect(bucketSeconds('all', new Date(now - 3600_000), now)).toBe(60);
    expect(bucketSeconds('all', new Date(now - 2 * 86_400_000), now)).toBe(300);
    expect(bucketSeconds('all', new Date(now - 9 * 86_400_000), now)).toBe(900);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * 365 * 86_400_000 }), (age) => {
        const b = bucketSeconds('all', new Date(now - age), now);
        expect((age / 1000 + 60) / b).toBeLessThanOrEqual(1440);
      }),
    );
  });
});

describe('KPIs', () => {
  test('average order value, refund/cancel rate and change', () => {
    const cur = kpisOf({ orders: 4, items: 10, revenueCents: 10_001, discountCents: 0, refundedOrCanceled: 1 });
    expect(cur).toEqual({
      orders: 4,
      revenue: 100.01,
      items: 10,
      discount: 0,
      averageOrderValue: 25,
      refundCancelRate: 0.25,
    });
    const prev = kpisOf({ orders: 2, items: 5, revenueCents: 5000, discountCents: 0, refundedOrCanceled: 0 });
    const change = changeOf(cur, prev);
    expect(change.orders).toBe(1);
    expect(change.refundCancelRate).toBe(0.25);
    expect(change.discount).toBeNull();
    const empty = kpisOf({ orders: 0, items: 0, revenueCents: 0, discountCents: 0, refundedOrCanceled: 0 });
    expect(empty.averageOrderValue).toBeNull();
    expect(changeOf(cur, empty).orders).toBeNull();
  });
});
