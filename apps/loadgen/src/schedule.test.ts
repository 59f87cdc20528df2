import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nextDueSeconds, ordersDue, planTick, type ScheduleOptions } from './schedule.js';

/** Runs the schedule over ticks at the given times, with each request finishing `holdTicks` (≥ 1) ticks after it started. */
function simulate(opts: ScheduleOptions, ticks: number[], holdTicks: number) {
  const state = { sent: 0, behind: 0, inFlight: 0 };
  const finishing = new Map<number, number>();
  let done = false;
  let tick = 0;
  const step = (elapsed: number) => {
    state.inFlight -= finishing.get(tick) ?? 0;
    finishing.delete(tick);
    const plan = planTick(opts, state, elapsed);
    for (const size of plan.requests) {
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThanOrEqual(opts.batchSize);
      state.sent += size;
      state.inFlight += 1;
      finishing.set(tick + holdTicks, (finishing.get(tick + holdTicks) ?? 0) + 1);
    }
    expect(state.inFlight).toBeLessThanOrEqual(opts.concurrency);
    state.behind += plan.behind;
    done = plan.done;
    tick += 1;
  };
  for (const t of ticks) {
    if (done) break;
    step(t);
  }
  // After the deadline the run keeps ticking until every due order is sent or given up on.
  const end = ticks.at(-1) ?? 0;
  while (!done) step(end + tick);
  return state;
}

describe('planTick', () => {
  it('sends what is due in full batches, then the rest at the end', () => {
    const opts = { rate: 100, durationSeconds: 1, batchSize: 20, concurrency: 4 };
    expect(planTick(opts, { sent: 0, behind: 0, inFlight: 0 }, 0.05)).toEqual({ requests: [], behind: 0, done: false });
    expect(planTick(opts, { sent: 0, behind: 0, inFlight: 0 }, 0.45)).toEqual({
      requests: [20, 20],
      behind: 0,
      done: false,
    });
    expect(planTick(opts, { sent: 90, behind: 0, inFlight: 0 }, 1.3)).toEqual({
      requests: [10],
      behind: 0,
      done: true,
    });
  });

  it('gives up on what is overdue by more than a second when every request slot is busy', () => {
    const opts = { rate: 100, durationSeconds: 10, batchSize: 1, concurrency: 2 };
    const plan = planTick(opts, { sent: 0, behind: 0, inFlight: 2 }, 3);
    expect(plan).toEqual({ requests: [], behind: 290, done: false });
  });

  it('never stops a run without a duration', () => {
    const opts = { rate: 10, durationSeconds: 0, batchSize: 1, concurrency: 1 };
    expect(ordersDue(opts)).toBe(Infinity);
    expect(planTick(opts, { sent: 0, behind: 0, inFlight: 0 }, 1e6).done).toBe(false);
  });

  it('accounts for every order due, however late and irregular the ticks (sent + behind = rate × duration)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.double({ min: 0, max: 1.5, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (rate, durationSeconds, batchSize, concurrency, gaps, holdTicks) => {
          const opts = { rate, durationSeconds, batchSize, concurrency };
          let t = 0;
          const ticks = gaps.map((g) => (t += g));
          const state = simulate(opts, ticks, holdTicks);
          expect(state.sent + state.behind).toBe(ordersDue(opts));
        },
      ),
    );
  });
});

describe('nextDueSeconds', () => {
  it('is when the next full batch is due, the rest at the end, then never', () => {
    const opts = { rate: 100, durationSeconds: 1, batchSize: 20, concurrency: 4 };
    expect(nextDueSeconds(opts, { sent: 0, behind: 0 })).toBeCloseTo(0.2);
    expect(nextDueSeconds(opts, { sent: 40, behind: 20 })).toBeCloseTo(0.8);
    expect(nextDueSeconds(opts, { sent: 90, behind: 0 })).toBeCloseTo(1);
    expect(nextDueSeconds(opts, { sent: 90, behind: 10 })).toBe(Infinity);
  });

  it('is the next single order below two batches a second', () => {
    const opts = { rate: 10, durationSeconds: 0, batchSize: 100, concurrency: 1 };
    expect(nextDueSeconds(opts, { sent: 7, behind: 0 })).toBeCloseTo(0.8);
  });

  it('names the tick that starts the next request: none before it, one at it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 100000 }),
        (rate, durationSeconds, batchSize, accounted) => {
          const opts = { rate, durationSeconds, batchSize, concurrency: 1 };
          const state = { sent: Math.min(accounted, ordersDue(opts)), behind: 0, inFlight: 0 };
          const due = nextDueSeconds(opts, state);
          if (due === Infinity) {
            expect(state.sent).toBe(ordersDue(opts));
            return;
          }
          // A tick comes at the millisecond after (timers fire late, never early).
          expect(planTick(opts, state, due + 0.001).requests).toHaveLength(1);
          const earlier = Math.max(0, state.sent / rate, due - 0.5 / rate);
          if (earlier < due) expect(planTick(opts, state, earlier).requests).toEqual([]);
        },
      ),
    );
  });
});
