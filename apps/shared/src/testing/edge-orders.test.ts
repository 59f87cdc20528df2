import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LIMITS } from '../order/schema.js';
import { validateOrder } from '../order/validate.js';
import { edgeOrderArbitrary, maxSizeOrder, withOffset } from './edge-orders.js';

describe('edge orders', () => {
  it('writes local time with the offset of the same instant', () => {
    const at = new Date('2026-03-01T23:40:05.120Z');
    expect(withOffset(at, 330)).toBe('2026-03-02T05:10:05.120+05:30');
    expect(withOffset(at, -210)).toBe('2026-03-01T20:10:05.120-03:30');
    expect(Date.parse(withOffset(at, 345))).toBe(at.getTime());
  });

  it('the largest order is valid and as large as the schema allows', () => {
    const order = maxSizeOrder('max-1', new Date(Date.now() - 60_000));
    const result = validateOrder(order, { now: Date.now() });
    expect(result).toEqual({ ok: true, order });
    expect(order.items).toHaveLength(LIMITS.maxItems);
    expect(Array.from(order.items[0]!.sku)).toHaveLength(128);
    expect(Buffer.byteLength(JSON.stringify(order))).toBeGreaterThan(50 * 1024);
  });

  it('random edge orders are valid', () => {
    const now = Date.now();
    fc.assert(
      fc.property(edgeOrderArbitrary({ minTime: now - 3600_000, maxTime: now }), (order) => {
        const result = validateOrder(order, { now });
        expect(result.ok ? [] : result.errors).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});
