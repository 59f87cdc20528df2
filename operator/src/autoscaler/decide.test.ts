import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  bounds,
  decideReplicas,
  emptyHistory,
  lagSummary,
  type DecisionInput,
  type DecisionSpec,
  type History,
  type PartitionLag,
} from './decide.js';

const spec: DecisionSpec = {
  minReplicas: 1,
  maxReplicas: 6,
  lagThreshold: 100,
  stabilizationSeconds: 60,
  step: 1,
  periodSeconds: 10,
  stuckAfterPolls: 3,
};
const lags = (values: number[], committed: number[] = values.map(() => 0)): PartitionLag[] =>
  values.map((lag, partition) => ({
    partition,
    lag,
    committed: committed[partition]!,
    end: committed[partition]! + lag,
  }));
const decide = (over: Partial<DecisionInput>) =>
  decideReplicas({
    lagPerPartition: lags([0, 0, 0, 0]),
    partitions: 4,
    current: 1,
    spec,
    history: emptyHistory(),
    now: 1_000_000,
    ...over,
  });

describe('decideReplicas', () => {
  it('scales up at once to ceil(lag / threshold), capped by the partitions and maxReplicas', () => {
    expect(decide({ lagPerPartition: lags([100, 50, 0, 0]) })).toMatchObject({
      desired: 2,
      direction: 'up',
      reason: 'LagAboveThreshold',
      totalLag: 150,
      maxLag: 100,
      laggingPartitions: 2,
    });
    expect(decide({ lagPerPartition: lags([10_000, 10_000, 10_000, 10_000]) }).desired).toBe(4); // partitions
    expect(decide({ lagPerPartition: lags([10_000, 0, 0, 0]), spec: { ...spec, maxReplicas: 3 } }).desired).toBe(3);
  });

  it('keeps the count when it fits', () => {
    expect(decide({ current: 2, lagPerPartition: lags([150, 0, 0, 0]) })).toMatchObject({
      desired: 2,
      direction: 'none',
      reason: 'Steady',
    });
  });

  it('scales down only after the window was covered with lower recommendations, then by the step per period', () => {
    let history: History = emptyHistory();
    let current = 4;
    const t0 = 5_000_000;
    const at = (s: number, values: number[]) => {
      const d = decide({ current, history, now: t0 + s * 1000, lagPerPartition: lags(values, [s, s, s, s]) });
      history = d.history;
      current = d.desired;
      return d;
    };
    expect(at(0, [0, 0, 0, 0])).toMatchObject({ desired: 4, reason: 'ScaleDownStabilizing' });
    expect(at(30, [0, 0, 0, 0])).toMatchObject({ desired: 4, reason: 'ScaleDownStabilizing' });
    expect(at(59, [0, 0, 0, 0]).desired).toBe(4);
    expect(at(60, [0, 0, 0, 0])).toMatchObject({ desired: 3, direction: 'down', reason: 'LagBelowThreshold' });
    expect(at(65, [0, 0, 0, 0])).toMatchObject({ desired: 3, reason: 'ScaleDownRateLimited' });
    expect(at(70, [0, 0, 0, 0]).desired).toBe(2);
    // Load comes back: up at once, and the window starts again.
    expect(at(75, [300, 0, 0, 0])).toMatchObject({ desired: 3, direction: 'up' });
    expect(at(100, [0, 0, 0, 0])).toMatchObject({ desired: 3, reason: 'ScaleDownStabilizing' });
    expect(at(134, [0, 0, 0, 0]).desired).toBe(3);
    expect(at(136, [0, 0, 0, 0]).desired).toBe(2);
  });

  it('steps down by at most `step`, never below the highest recommendation of the window', () => {
    const history: History = {
      ...emptyHistory(),
      since: 0,
      recommendations: [{ time: 990_000, replicas: 2 }],
    };
    const d = decide({ current: 6, history, spec: { ...spec, step: 10, maxReplicas: 6 }, partitions: 6 });
    expect(d.desired).toBe(2);
  });

  it('follows min/max changes at once', () => {
    expect(decide({ current: 5, spec: { ...spec, maxReplicas: 2 } })).toMatchObject({
      desired: 2,
      direction: 'down',
      reason: 'AboveMaximum',
    });
    expect(decide({ current: 1, spec: { ...spec, minReplicas: 3 } })).toMatchObject({
      desired: 3,
      direction: 'up',
      reason: 'BelowMinimum',
    });
    expect(decide({ current: 4, partitions: 2 }).desired).toBe(2);
  });

  it('reports a partition with lag but no progress while others progress as stuck, and does not chase it', () => {
    let history = emptyHistory();
    let d = decide({});
    for (let poll = 0; poll < 5; poll++) {
      // Partition 0 is wedged at offset 7 with 1000 behind; the others move.
      d = decide({
        current: 1,
        history,
        now: 1_000_000 + poll * 1000,
        lagPerPartition: lags([1000, 10, 10, 0], [7, poll * 10, poll * 10, 5]),
      });
      history = d.history;
    }
    expect(d.stuck).toEqual([0]);
    expect(d.totalLag).toBe(1020);
    expect(d.chasedLag).toBe(20);
    expect(d.desired).toBe(1);
    expect(d.message).toContain('stuck partitions 0');
  });

  it('calls nothing stuck when the whole group stands still (no consumer yet): the lag is chased', () => {
    let history = emptyHistory();
    let d = decide({});
    for (let poll = 0; poll < 6; poll++) {
      d = decide({ current: 1, history, now: 1_000_000 + poll * 1000, lagPerPartition: lags([500, 500, 0, 0]) });
      history = d.history;
    }
    expect(d.stuck).toEqual([]);
    expect(d.desired).toBe(4);
  });

  const arbSpec = fc
    .record({
      minReplicas: fc.integer({ min: 1, max: 10 }),
      extra: fc.integer({ min: 0, max: 20 }),
      lagThreshold: fc.integer({ min: 1, max: 10_000 }),
      stabilizationSeconds: fc.integer({ min: 0, max: 600 }),
      step: fc.integer({ min: 1, max: 10 }),
      periodSeconds: fc.integer({ min: 1, max: 120 }),
      stuckAfterPolls: fc.integer({ min: 2, max: 10 }),
    })
    .map(({ extra, ...s }) => ({ ...s, maxReplicas: s.minReplicas + extra }));
  const arbPoll = (partitions: number) =>
    fc.record({
      dtMs: fc.integer({ min: 1, max: 120_000 }),
      lags: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: partitions, maxLength: partitions }),
      moved: fc.array(fc.boolean(), { minLength: partitions, maxLength: partitions }),
    });
  const arbRun = fc.integer({ min: 1, max: 24 }).chain((partitions) =>
    fc.record({
      partitions: fc.constant(partitions),
      spec: arbSpec,
      start: fc.integer({ min: 0, max: 30 }),
      polls: fc.array(arbPoll(partitions), { minLength: 1, maxLength: 40 }),
    }),
  );

  it('properties: within bounds, up at once, down only after the window and by ≤ step per period', () => {
    fc.assert(
      fc.property(arbRun, ({ partitions, spec: s, start, polls }) => {
        const { lo, hi } = bounds(s, partitions);
        let history = emptyHistory();
        let current = start;
        let now = 1_000_000;
        const committed = Array.from({ length: partitions }, () => 0);
        const times: Array<{ time: number; rec: number }> = [];
        let lastDown: number | undefined;
        for (const poll of polls) {
          now += poll.dtMs;
          poll.moved.forEach((m, i) => (committed[i]! += m ? 1 : 0));
          const d = decideReplicas({
            lagPerPartition: lags(poll.lags, committed),
            partitions,
            current,
            spec: s,
            history,
            now,
          });
          times.push({ time: now, rec: d.recommended });
          // Never above min(maxReplicas, partitions) (unless minReplicas demands it), never below minReplicas.
          expect(d.desired).toBeLessThanOrEqual(hi);
          expect(d.desired).toBeGreaterThanOrEqual(lo);
          expect(hi).toBe(Math.max(s.minReplicas, Math.min(s.maxReplicas, partitions)));
          // Scale-up is immediate: never fewer than recommended when within bounds.
          if (current >= lo && current <= hi) expect(d.desired).toBeGreaterThanOrEqual(Math.min(d.recommended, hi));
          if (current >= lo && current <= hi && d.desired < current) {
            // Down only by ≤ step, after a full window of lower recommendations, once per period.
            expect(current - d.desired).toBeLessThanOrEqual(s.step);
            const first = times[0]!.time;
            expect(now - first).toBeGreaterThanOrEqual(s.stabilizationSeconds * 1000);
            for (const t of times)
              if (t.time > now - s.stabilizationSeconds * 1000) expect(t.rec).toBeLessThan(current);
            if (lastDown !== undefined) expect(now - lastDown).toBeGreaterThanOrEqual(s.periodSeconds * 1000);
            lastDown = now;
          }
          if (d.direction === 'none') expect(d.desired).toBe(current);
          // Stuck partitions have lag, and their lag is not chased.
          for (const p of d.stuck) expect(poll.lags[p]).toBeGreaterThan(0);
          expect(d.chasedLag).toBe(poll.lags.filter((_, i) => !d.stuck.includes(i)).reduce((a, b) => a + b, 0));
          history = d.history;
          current = d.desired;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('lagSummary', () => {
  it('lists partition=lag, largest first, truncated', () => {
    expect(lagSummary(lags([5, 30, 0]))).toBe('1=30 0=5 2=0');
    const long = lagSummary(lags(Array.from({ length: 500 }, (_, i) => i)), 100);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.startsWith('499=499 498=498')).toBe(true);
    expect(long).toMatch(/…\+\d+$/);
  });
});
