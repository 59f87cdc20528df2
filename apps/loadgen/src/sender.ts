/**
 * Sends orders to the ingest API at a fixed rate: every tick, the schedule (./schedule.ts) says how
 * many requests to start and how many orders to count as `behind`, so the offered rate stays honest
 * and, when the run ends, sent + behind is exactly rate × duration. The next tick comes when the next
 * request falls due, when a request finishes while every slot is busy, or at the next report.
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AcceptedOrder } from '@salespipeline/shared';
import { nextDueSeconds, planTick } from './schedule.js';

export interface LoadOptions {
  target: string;
  rate: number;
  durationSeconds: number;
  batchSize: number;
  concurrency: number;
  /** Sent as `Authorization: Bearer <apiKey>` (unset: no credentials). */
  apiKey?: string | undefined;
  /** Next order, or undefined when the source is exhausted. */
  source: () => Promise<AcceptedOrder | undefined> | AcceptedOrder | undefined;
  onReport?: (report: LoadReport) => void;
  reportIntervalMs?: number;
  signal?: AbortSignal;
  /** Collect the ids of the accepted orders in `LoadResult.acceptedIds` (default: not kept). */
  keepAcceptedIds?: boolean;
}

export interface LoadTotals {
  sent: number;
  accepted: number;
  rejected: number;
  unavailable: number;
  failed: number;
  behind: number;
  requests: number;
}

export interface LoadReport extends LoadTotals {
  elapsedSeconds: number;
  /** Over the last interval. */
  acceptedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadResult {
  totals: LoadTotals;
  /** Latency of every request, in ms. */
  latencies: number[];
  elapsedSeconds: number;
  /** With `keepAcceptedIds`; otherwise empty. */
  acceptedIds: string[];
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(opts);
  const pending = new Set<Promise<void>>();
  const schedule = {
    rate: opts.rate,
    durationSeconds: opts.durationSeconds,
    batchSize: opts.batchSize,
    concurrency: opts.concurrency,
  };
  const reportIntervalMs = opts.reportIntervalMs ?? 5000;
  const wakeOnAbort = () => run.wake();
  opts.signal?.addEventListener('abort', wakeOnAbort, { once: true });
  while (!run.exhausted && !opts.signal?.aborted) {
    const now = performance.now();
    const plan = planTick(schedule, { ...run.totals, inFlight: run.inFlight }, (now - run.start) / 1000);
    run.totals.behind += plan.behind;
    for (const size of plan.requests) {
      const orders = await run.nextOrders(size);
      if (orders.length === 0) break;
      const p = run.post(orders);
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    if (plan.done) break;
    if (opts.onReport && now - run.lastReport >= reportIntervalMs) run.report(now);
    // Every slot busy: the next request starts when one finishes (post wakes the run).
    const dueMs = run.inFlight >= opts.concurrency ? Infinity : nextDueSeconds(schedule, run.totals) * 1000;
    const reportMs = opts.onReport ? run.lastReport + reportIntervalMs - run.start : Infinity;
    await run.sleep(Math.min(dueMs, reportMs) - (performance.now() - run.start));
  }
  opts.signal?.removeEventListener('abort', wakeOnAbort);
  await Promise.all(pending);
  const end = performance.now();
  if (opts.onReport) run.report(end);
  run.agent.destroy();
  return {
    totals: run.totals,
    latencies: run.latencies,
    elapsedSeconds: (end - run.start) / 1000,
    acceptedIds: run.acceptedIds,
  };
}

/** One run's connection pool, counters and latencies. */
class LoadRun {
  readonly url: URL;
  readonly https: boolean;
  readonly agent: Agent;
  readonly path: string;
  readonly totals: LoadTotals = {
    sent: 0,
    accepted: 0,
    rejected: 0,
    unavailable: 0,
    failed: 0,
    behind: 0,
    requests: 0,
  };
  readonly latencies: number[] = [];
  readonly acceptedIds: string[] = [];
  readonly start = performance.now();
  inFlight = 0;
  exhausted = false;
  lastReport = this.start;
  private intervalLatencies: number[] = [];
  private lastAccepted = 0;
  private wakeSleeper: (() => void) | undefined;

  constructor(private readonly opts: LoadOptions) {
    this.url = new URL(opts.target);
    this.https = this.url.protocol === 'https:';
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: opts.concurrency })
      : new Agent({ keepAlive: true, maxSockets: opts.concurrency });
    this.path = opts.batchSize > 1 ? '/v1/orders/batch' : '/v1/orders';
  }

  /** Resolves after `ms` (at least 1 ms, at most a timer's longest) or at `wake()`, whichever comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake(), Math.min(2 ** 31 - 1, Math.max(1, Math.ceil(ms))));
      this.wakeSleeper = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeSleeper?.();
  }

  /** Up to `size` orders from the source; fewer once it is exhausted. */
  async nextOrders(size: number): Promise<AcceptedOrder[]> {
    const orders: AcceptedOrder[] = [];
    while (orders.length < size) {
      const next = this.opts.source();
      // A synchronous source (the generator) is not awaited: an await per order costs a microtask each.
      const order = next instanceof Promise ? await next : next;
      if (!order) {
        this.exhausted = true;
        break;
      }
      orders.push(order);
    }
    return orders;
  }

  /** One request with these orders; resolves (never rejects) once its outcome is counted. */
  post(orders: AcceptedOrder[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const body = JSON.stringify(this.opts.batchSize > 1 ? { orders } : orders[0]);
      const t0 = performance.now();
      this.inFlight += 1;
      this.totals.requests += 1;
      this.totals.sent += orders.length;
      const done = (status: number) => {
        this.record(orders, status, performance.now() - t0);
        resolve();
      };
      const req = (this.https ? httpsRequest : request)(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: this.path,
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
          res.on('error', () => done(0));
        },
      );
      req.on('error', () => done(0));
      req.end(body);
    });
  }

  private record(orders: AcceptedOrder[], status: number, ms: number): void {
    this.latencies.push(ms);
    this.intervalLatencies.push(ms);
    if (this.inFlight-- >= this.opts.concurrency) this.wake();
    if (status === 202) {
      this.totals.accepted += orders.length;
      if (this.opts.keepAcceptedIds) for (const o of orders) this.acceptedIds.push(o.order_id);
    } else if (status === 503) this.totals.unavailable += orders.length;
    else if (status >= 400 && status < 500) this.totals.rejected += orders.length;
    else this.totals.failed += orders.length;
  }

  report(now: number): void {
    const sorted = this.intervalLatencies.sort((a, b) => a - b);
    const seconds = (now - this.lastReport) / 1000;
    this.opts.onReport?.({
      ...this.totals,
      elapsedSeconds: (now - this.start) / 1000,
      acceptedPerSecond: seconds > 0 ? (this.totals.accepted - this.lastAccepted) / seconds : 0,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    });
    this.intervalLatencies = [];
    this.lastReport = now;
    this.lastAccepted = this.totals.accepted;
  }
}
