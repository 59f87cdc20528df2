import { describe, expect, it } from '@jest/globals';
import { RETENTION_MARGIN_MS, redeliveryWindowMs, retentionPlan } from './retention.js';

const day = 24 * 3600_000;
const bounds = { lateBoundMs: day, maxFutureMs: 300_000 };

describe('processed_orders retention', () => {
  it('the window covers retention, a full segment, the lateness and future bounds', () => {
    expect(redeliveryWindowMs({ retentionMs: 7 * day, segmentMs: 7 * day }, bounds)).toBe(
      15 * day + 300_000 + RETENTION_MARGIN_MS,
    );
    expect(redeliveryWindowMs({ retentionMs: -1, segmentMs: 7 * day }, bounds)).toBeUndefined();
  });

  it('derives the retention by default and accepts a longer one', () => {
    expect(retentionPlan(0, 10 * day)).toEqual({ prune: true, retentionMs: 10 * day });
    expect(retentionPlan(30 * day, 10 * day)).toEqual({ prune: true, retentionMs: 30 * day });
    expect(retentionPlan(-1, 10 * day)).toEqual({ prune: false });
  });

  it('refuses a retention shorter than the window', () => {
    expect(() => retentionPlan(9 * day, 10 * day)).toThrow(/shorter than the re-delivery window/);
  });

  it('never prunes for a topic that keeps messages forever', () => {
    expect(retentionPlan(0, undefined)).toEqual({ prune: false });
    expect(() => retentionPlan(30 * day, undefined)).toThrow(/keeps messages forever/);
  });
});
