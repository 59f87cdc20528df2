/**
 * Sends orders to the ingest API at a fixed rate: every tick, the orders due so far are grouped in
 * requests of `batchSize` and sent while fewer than `concurrency` requests are in flight (orders
 * that cannot be sent in time are counted as `behind`, so the offered rate stays honest).
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AcceptedOrder } from '@salespipeline/shared';

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
  acceptedIds: string[];
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.target);
  const https = url.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: opts.concurrency })
    : new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const path = opts.batchSize > 1 ? '/v1/orders/batch' : '/v1/orders';
  const totals: LoadTotals = { sent: 0, accepted: 0, rejected: 0, unavailable: 0, failed: 0, behind: 0, requests: 0 };
  const latencies: number[] = [];
  const acceptedIds: string[] = [];
  let intervalLatencies: number[] = [];
  let inFlight = 0;
  let exhausted = false;
  const start = performance.now();

  const post = (orders: AcceptedOrder[]) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify(opts.batchSize > 1 ? { orders } : orders[0]);
      const t0 = performance.now();
      inFlight += 1;
      totals.requests += 1;
      totals.sent += orders.length;
      const done = (status: number) => {
        const ms = performance.now() - t0;
        latencies.push(ms);
        intervalLatencies.push(ms);
        inFlight -= 1;
        if (status === 202) {
          totals.accepted += orders.length;
          for (const o of orders) acceptedIds.push(o.order_id);
        } else if (status === 503) totals.unavailable += orders.length;
        else if (status >= 400 && status < 500) totals.rejected += orders.length;
        else totals.failed += orders.length;
        resolve();
      };
      const req = (https ? httpsRequest : request)(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
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

  let lastReport = start;
  let lastAccepted = 0;
  const report = (now: number) => {
    const sorted = intervalLatencies.sort((a, b) => a - b);
    const seconds = (now - lastReport) / 1000;
    opts.onReport?.({
      ...totals,
      elapsedSeconds: (now - start) / 1000,
      acceptedPerSecond: seconds > 0 ? (totals.accepted - lastAccepted) / seconds : 0,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    });
    intervalLatencies = [];
    lastReport = now;
    lastAccepted = totals.accepted;
  };

  const pending = new Set<Promise<void>>();
  let due = 0;
  while (!exhausted && !opts.signal?.aborted) {
    const now = performance.now();
    const elapsed = (now - start) / 1000;
    if (opts.durationSeconds > 0 && elapsed >= opts.durationSeconds) break;
    due = Math.floor(elapsed * opts.rate) - totals.sent - totals.behind;
    while (due >= opts.batchSize || (due > 0 && opts.batchSize > 1 && opts.rate < opts.batchSize * 2)) {
      if (inFlight >= opts.concurrency) {
        // Cannot keep up: skip what is overdue by more than a second instead of bursting later.
        if (due > opts.rate) {
          totals.behind += due - Math.ceil(opts.rate / 10);
        }
        break;
      }
      const orders: AcceptedOrder[] = [];
      const n = Math.min(opts.batchSize, due);
      for (let i = 0; i < n; i++) {
        const order = await opts.source();
        if (!order) {
          exhausted = true;
          break;
        }
        orders.push(order);
      }
      due -= n;
      if (orders.length === 0) break;
      const p = post(orders);
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    if (opts.onReport && now - lastReport >= (opts.reportIntervalMs ?? 5000)) report(now);
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  const end = performance.now();
  if (opts.onReport) report(end);
  agent.destroy();
  return { totals, latencies, elapsedSeconds: (end - start) / 1000, acceptedIds };
}
