import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { AcceptedOrder } from '@salespipeline/shared';
import type { DatedOrder } from './aggregate.js';
import { hourIndex, HOUR_MS, newestFirst, newestOfEachHour } from './latest-orders.js';

const dated = (id: string, createdAt: number): DatedOrder => ({
  order: { order_id: id } as AcceptedOrder,
  createdAt,
});
const ids = (orders: readonly DatedOrder[]) => orders.map((o) => o.order.order_id);

describe('newestOfEachHour', () => {
  const hour = 500_000 * HOUR_MS;

  it('keeps every order of a batch no larger than what is kept, as it is', () => {
    const orders = [dated('a', hour + 5), dated('b', hour - 5)];
    expect(newestOfEachHour(orders, 2)).toBe(orders);
  });

  it('keeps the newest of each hour, ties in order id order, as the table clusters them', () => {
    const orders = [
      dated('old', hour + 1),
      dated('b', hour + 9),
      dated('a', hour + 9),
      dated('new', hour + 10),
      dated('prev-hour', hour - 1),
    ];
    expect(ids(newestOfEachHour(orders, 3)).sort()).toEqual(['a', 'b', 'new', 'prev-hour']);
    expect(ids(newestOfEachHour(orders, 2)).sort()).toEqual(['a', 'new', 'prev-hour']);
  });

  it('however orders are split into batches, the union holds the true newest of every hour', () => {
    // Few distinct instants, so ties on created_at are common; three hours, so batches straddle them.
    const instant = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 40 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(instant, { minLength: 1, maxLength: 400, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 50 }),
        (kept, instants, batchSizes) => {
          // Ids in an order unrelated to the batch's, so a tie on created_at is not settled by chance.
          const orders = instants.map(([h, ms], i) => dated(`o${(i * 7919) % 1009}`, hour + h * HOUR_MS + ms));
          const stored = new Set<string>();
          for (let start = 0, b = 0; start < orders.length; b++) {
            const end = start + batchSizes[b % batchSizes.length]!;
            for (const o of newestOfEachHour(orders.slice(start, end), kept)) stored.add(o.order.order_id);
            start = end;
          }
          for (const h of new Set(orders.map((o) => hourIndex(o.createdAt)))) {
            const ofHour = orders.filter((o) => hourIndex(o.createdAt) === h).sort(newestFirst);
            const read = ofHour.filter((o) => stored.has(o.order.order_id)).slice(0, kept);
            expect(ids(read)).toEqual(ids(ofHour.slice(0, kept)));
          }
        },
      ),
    );
  });

  it('writes far fewer rows than orders when batches are large', () => {
    const orders = Array.from({ length: 1000 }, (_, i) => dated(`o${i}`, hour + i));
    expect(ids(newestOfEachHour(orders, 200))).toEqual(ids(orders.slice(800).reverse()));
  });
});
