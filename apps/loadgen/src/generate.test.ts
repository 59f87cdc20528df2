import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { validateOrder, ORDER_STATUSES } from '@salespipeline/shared';
import { OrderGenerator, weightedPicker } from './generate.js';

describe('OrderGenerator', () => {
  it('generates valid orders with unique ids, the status mix and skewed products', () => {
    const gen = new OrderGenerator(7, 'g-');
    const now = Date.now();
    const orders = Array.from({ length: 5000 }, () => gen.next(now));
    for (const o of orders) {
      const r = validateOrder(structuredClone(o), { now });
      expect(r.ok ? [] : r.errors).toEqual([]);
    }
    expect(new Set(orders.map((o) => o.order_id)).size).toBe(orders.length);
    const statuses = new Set(orders.map((o) => o.status));
    expect([...statuses].every((s) => (ORDER_STATUSES as readonly string[]).includes(s))).toBe(true);
    const canceled = orders.filter((o) => o.status === 'canceled').length / orders.length;
    expect(canceled).toBeGreaterThan(0.28);
    expect(canceled).toBeLessThan(0.4);
    const bySku = new Map<string, number>();
    for (const o of orders) for (const i of o.items) bySku.set(i.sku, (bySku.get(i.sku) ?? 0) + 1);
    const counts = [...bySku.values()].sort((a, b) => b - a);
    const lines = counts.reduce((a, b) => a + b, 0);
    // The top 1% of the catalogue (20 SKUs) carries a large share of the lines.
    expect(counts.slice(0, 20).reduce((a, b) => a + b, 0) / lines).toBeGreaterThan(0.3);
  });

  it('is deterministic for a seed', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const a = new OrderGenerator(1, 'x').next(now);
    const b = new OrderGenerator(1, 'x').next(now);
    expect(a).toEqual(b);
  });

  it('generates, for a seed, the very orders it always has (ids, items, timestamps, text)', () => {
    const gen = new OrderGenerator(42, 'golden-');
    const t0 = Date.parse('2026-11-30T08:00:00Z');
    const hash = createHash('sha256');
    // Several orders per millisecond, as at 10,000/s.
    for (let i = 0; i < 20_000; i++) hash.update(JSON.stringify(gen.next(t0 + Math.floor(i / 7))));
    expect(hash.digest('hex')).toBe('fc2b089ffc0efb8a291a50773280b12d78d0d93a19457014e43bd7f9ff5c167e');
  });
});

describe('weightedPicker', () => {
  it('picks each value for its share of [0, 1)', () => {
    const pick = weightedPicker([
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ]);
    expect([0, 0.2499, 0.25, 0.7499, 0.75, 0.9999999].map(pick)).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });
});
