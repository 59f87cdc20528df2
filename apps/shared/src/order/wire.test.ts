import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { largestOrder, orderArbitrary } from '../testing/orders.js';
import { decodeOrder, encodeOrder, stampAccepted } from './wire.js';

const AT = Date.parse('2026-03-01T12:00:00Z');
const asRead = (record: { value: string; timestamp: string }) => ({
  value: Buffer.from(record.value),
  timestamp: record.timestamp,
});

describe('the orders record', () => {
  it('is keyed by order_id and reads back as the same order, accepted when it was stamped', () => {
    fc.assert(
      fc.property(orderArbitrary({ maxTime: AT, edges: true }), (order) => {
        const record = stampAccepted(encodeOrder(order), AT);
        expect(record.key).toBe(order.order_id);
        expect(record.timestamp).toBe(String(AT));
        expect(decodeOrder(asRead(record))).toEqual({
          ok: true,
          order,
          acceptedAt: AT,
          json: Buffer.from(record.value),
        });
      }),
      { numRuns: 50 },
    );
    const largest = largestOrder('big', '2026-03-01T11:00:00Z');
    expect(decodeOrder(asRead(stampAccepted(encodeOrder(largest), AT)))).toMatchObject({ ok: true, order: largest });
  });

  it("carries JSON bytes that parse to the accepted order: the record's own, or the order's when its currency was set", () => {
    const [order] = fc.sample(orderArbitrary({ maxTime: AT }), 1);
    const spaced = { value: Buffer.from(JSON.stringify(order, null, 2)), timestamp: String(AT) };
    const kept = decodeOrder(spaced);
    expect(kept).toMatchObject({ ok: true, order });
    expect(kept.ok && kept.json).toBe(spaced.value);
    const { currency: _, ...withoutCurrency } = order!;
    const defaulted = decodeOrder({ value: Buffer.from(JSON.stringify(withoutCurrency)), timestamp: String(AT) });
    expect(defaulted).toMatchObject({ ok: true, order: { ...withoutCurrency, currency: 'USD' } });
    expect(defaulted.ok && JSON.parse(defaulted.json.toString('utf8'))).toEqual({
      ...withoutCurrency,
      currency: 'USD',
    });
  });

  it('an empty or unparsable value cannot be counted', () => {
    expect(decodeOrder({ value: null, timestamp: String(AT) })).toEqual({
      ok: false,
      kind: 'unparsable',
      reason: 'empty message',
    });
    expect(decodeOrder({ value: Buffer.alloc(0), timestamp: String(AT) })).toMatchObject({ kind: 'unparsable' });
    expect(decodeOrder({ value: Buffer.from('{not json'), timestamp: String(AT) })).toMatchObject({
      ok: false,
      kind: 'unparsable',
      reason: expect.stringMatching(/^not JSON: /),
    });
  });

  it('an invalid order names its fields', () => {
    const [order] = fc.sample(orderArbitrary({ maxTime: AT }), 1);
    const bad = { ...order!, status: 'lost', grand_total: -1 };
    const decoded = decodeOrder({ value: Buffer.from(JSON.stringify(bad)), timestamp: String(AT) });
    expect(decoded).toMatchObject({ ok: false, kind: 'invalid', reason: expect.stringContaining('/status') });
  });

  it("measures created_at's future bound from the acceptance time, not from now", () => {
    const [order] = fc.sample(orderArbitrary({ maxTime: AT }), 1);
    const future = { ...order!, created_at: new Date(AT + 60_000).toISOString() };
    const record = encodeOrder(future);
    expect(decodeOrder(asRead(stampAccepted(record, AT)))).toMatchObject({ ok: true });
    expect(decodeOrder(asRead(stampAccepted(record, AT - 3600_000)))).toMatchObject({
      ok: false,
      kind: 'invalid',
      reason: expect.stringContaining('/created_at: must not be more than 5 minutes in the future'),
    });
  });
});
