/**
 * Sends orders to the ingest API at a fixed rate: every tick, the schedule (./schedule.ts) says how
 * many requests to start and how many orders to count as `behind`, so the offered rate stays honest
 * and, when the run ends, sent + behind is exactly rate × duration.
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout } from 'node:timers/promises';
import type { AcceptedOrder } from '@salespipeline/shared';
import { planTick } from './schedule.js';

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
  const schedule = {
    rate: opts.rate,
    durationSeconds: opts.durationSeconds,
    batchSize: opts.batchSize,
    concurrency: opts.concurrency,
  };
  while (!exhausted && !opts.signal?.aborted) {
    const now = performance.now();
    const plan = planTick(schedule, { sent: totals.sent, behind: totals.behind, inFlight }, (now - start) / 1000);
    totals.behind += plan.behind;
    for (const size of plan.requests) {
      const orders: AcceptedOrder[] = [];
      while (orders.length < size) {
        const order = await opts.source();
        if (!order) {
          exhausted = true;
          break;
        }
        orders.push(order);
      }
      if (orders.length === 0) break;
      const p = post(orders);
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    if (plan.done) break;
    if (opts.onReport && now - lastReport >= (opts.reportIntervalMs ?? 5000)) report(now);
    await setTimeout(2);
  }
  await Promise.all(pending);
  const end = performance.now();
  if (opts.onReport) report(end);
  agent.destroy();
  return { totals, latencies, elapsedSeconds: (end - start) / 1000, acceptedIds };
}
