/**
 * An open-loop load at a steady rate: request i is due at start + i / rate, whatever the answers
 * before it, and its latency counts from when it was due (so a stall of the server or of this
 * generator shows in the figures instead of thinning the load). autocannon's `overallRate` is no
 * steady rate: each connection sends its share of the second back to back and then pauses until the
 * next second, and its coordinated-omission correction assumes 1 ms between a connection's requests,
 * which inflates its percentiles by each slow answer's length in milliseconds.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacedOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  bodies: string[];
  rate: number;
  seconds: number;
  /** Open connections at most (keep-alive); a request due while all are busy waits for one. */
  connections: number;
}

export interface PacedResult {
  ok: number;
  non2xx: number;
  errors: number;
  /** Latency percentiles of the 2xx answers from when they were due, ms. */
  p50: number;
  p99: number;
  max: number;
  /** How late the generator sent requests, p99, ms (its own share of the latency). */
  sendLagP99: number;
}

/** The p-th percentile (0..100) of the values, nearest rank; NaN without values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** How many requests are due `elapsedMs` after the start at `rate` per second, `sent` already sent. */
export const dueNow = (elapsedMs: number, rate: number, sent: number): number =>
  Math.max(0, Math.floor((elapsedMs * rate) / 1000) + 1 - sent);

export async function pacedLoad(opts: PacedOptions): Promise<PacedResult> {
  const { hostname, port } = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  const lags: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let open = 0;
  const total = Math.round(opts.rate * opts.seconds);
  const start = performance.now();
  const send = (i: number) => {
    const due = start + (i * 1000) / opts.rate;
    lags.push(performance.now() - due);
    open++;
    const req = request(
      { host: hostname, port, path: opts.path, method: 'POST', agent, headers: opts.headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          open--;
          if (res.statusCode! >= 200 && res.statusCode! < 300) {
            ok++;
            latencies.push(performance.now() - due);
          } else non2xx++;
        });
      },
    );
    req.on('error', () => (open--, errors++));
    req.end(opts.bodies[i % opts.bodies.length]);
  };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total - sent, dueNow(performance.now() - start, opts.rate, sent));
    for (let k = 0; k < due; k++) send(sent++);
    await sleep(1);
  }
  while (open > 0) await sleep(5);
  agent.destroy();
  return {
    ok,
    non2xx,
    errors,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    sendLagP99: percentile(lags, 99),
  };
}
