/**
 * The load generator's schedule, clock-free: at `rate` orders/s for `durationSeconds` (0: forever),
 * `floor(rate × duration)` orders are due in all. Every tick decides, from the time elapsed and the
 * requests in flight, how many orders to send now (in requests of at most `batchSize`) and how many to
 * give up on as `behind` because the machine could not send them in time. Over any sequence of ticks
 * that runs to the end, sent + behind equals the orders due: none is lost track of, none is extra.
 */
export interface ScheduleOptions {
  rate: number;
  durationSeconds: number;
  batchSize: number;
  concurrency: number;
}

export interface ScheduleState {
  /** Orders handed to requests so far. */
  sent: number;
  /** Orders given up on so far. */
  behind: number;
  inFlight: number;
}

export interface TickPlan {
  /** Sizes of the requests to start now, in order. */
  requests: number[];
  /** Orders to add to `behind` now. */
  behind: number;
  /** Every order due has been sent or given up on: stop once the requests in flight finish. */
  done: boolean;
}

/** All orders the run is due to send; Infinity for a run without a duration. */
export const ordersDue = (opts: ScheduleOptions): number =>
  opts.durationSeconds > 0 ? Math.floor(opts.rate * opts.durationSeconds) : Infinity;

/** Below two batches a second, waiting for a full batch would distort the rate: send what is due. */
const smallestRequest = (opts: ScheduleOptions): number =>
  opts.batchSize > 1 && opts.rate < opts.batchSize * 2 ? 1 : opts.batchSize;

/**
 * When (in seconds since the start) the next request falls due, given what was sent and given up on
 * so far: the first tick at or after it starts that request (a full batch, or the rest at the end).
 * Infinity when nothing more is due.
 */
export function nextDueSeconds(opts: ScheduleOptions, state: Pick<ScheduleState, 'sent' | 'behind'>): number {
  const total = ordersDue(opts);
  const accounted = state.sent + state.behind;
  if (accounted >= total) return Infinity;
  return Math.min(total, accounted + smallestRequest(opts)) / opts.rate;
}

export function planTick(opts: ScheduleOptions, state: ScheduleState, elapsedSeconds: number): TickPlan {
  const total = ordersDue(opts);
  const scheduled = Math.min(total, Math.floor(elapsedSeconds * opts.rate));
  const lastTick = scheduled >= total;
  let due = scheduled - state.sent - state.behind;
  let inFlight = state.inFlight;
  const requests: number[] = [];
  let behind = 0;
  const smallest = lastTick ? 1 : smallestRequest(opts);
  while (due > 0 && due >= smallest) {
    if (inFlight >= opts.concurrency) {
      // Cannot keep up: give up on what is overdue by more than a second instead of bursting later,
      // keeping a tenth of a second's worth to send as soon as a request finishes.
      if (due > opts.rate) {
        behind = due - Math.ceil(opts.rate / 10);
        due -= behind;
      }
      break;
    }
    const n = Math.min(opts.batchSize, due);
    requests.push(n);
    due -= n;
    inFlight += 1;
  }
  return { requests, behind, done: lastTick && due === 0 };
}
