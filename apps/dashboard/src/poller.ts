/**
 * ONE query loop shared by every client. While at least one SSE client is connected it ticks every
 * `pollIntervalMs`: a tick reads the processor's stored offsets (a tiny table whose sum grows with
 * every committed batch) and recomputes only the ranges some client watches, and only when the
 * offsets moved or the clock entered a new minute. A snapshot is pushed to the clients of its range
 * only when its JSON differs from the last one pushed. N tabs therefore cost one loop, at most one
 * computation per watched range per tick, and nothing at all while no tab is open.
 */
import { DependencyUnavailableError, withTimeout, type Logger } from '@salespipeline/shared';
import type { DashboardMetrics } from './metrics.js';
import type { LatestOrder, SalesReader } from './queries.js';
import { RANGES, type RangeName } from './ranges.js';
import { computeSnapshot, type Snapshot } from './snapshot.js';

export interface LiveClient {
  range: RangeName;
  /** Writes one SSE frame (already formatted). */
  write: (frame: string) => void;
}

export interface StoreStatus {
  mysql: 'ok' | 'down' | 'unknown';
  cassandra: 'ok' | 'down' | 'unknown';
  /** What failed, for the banner. */
  error: string | null;
  since: string;
}

export interface LiveOptions {
  pollIntervalMs: number;
  queryTimeoutMs: number;
  topN: number;
  latestOrders: number;
  latestOrdersLookbackHours: number;
}

interface Cached {
  snapshot: Snapshot;
  json: string;
  /** The store version and the minute it was computed for. */
  key: string;
  at: number;
}

/** The store's answer, or DependencyUnavailableError when none came within `ms`. */
export const answerWithin = <T>(promise: Promise<T>, ms: number, store: string): Promise<T> =>
  withTimeout(promise, ms, () => new DependencyUnavailableError(`${store}: no answer within ${ms} ms`));

const describe = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e.code && !e.message?.includes(e.code) ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err));
};

export const frame = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

export class LiveDashboard {
  private readonly clients = new Set<LiveClient>();
  private readonly cache = new Map<RangeName, Cached>();
  private latest: { key: string; orders: LatestOrder[] | null; at: number } | undefined;
  private status: StoreStatus = {
    mysql: 'unknown',
    cassandra: 'unknown',
    error: null,
    since: new Date().toISOString(),
  };
  private statusJson = '';
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private wakeUp = false;
  private closed = false;
  private readonly onDemand = new Map<RangeName, Promise<Snapshot>>();

  constructor(
    private readonly reader: SalesReader,
    private readonly opts: LiveOptions,
    private readonly metrics: DashboardMetrics,
    private readonly logger: Logger,
  ) {
    this.statusJson = JSON.stringify(this.status);
    for (const r of RANGES) metrics.clients.set({ range: r }, 0);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get currentStatus(): StoreStatus {
    return this.status;
  }

  /** Adds an SSE client: it gets the status and the current snapshot at once, then every change. */
  subscribe(client: LiveClient): () => void {
    this.clients.add(client);
    this.metrics.clients.inc({ range: client.range });
    this.send(client, 'status', this.statusJson);
    const cached = this.cache.get(client.range);
    if (cached) this.send(client, 'snapshot', cached.json);
    this.schedule(0);
    return () => {
      if (!this.clients.delete(client)) return;
      this.metrics.clients.dec({ range: client.range });
      if (this.clients.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /**
   * A snapshot for the JSON API: the loop's one when it is at most one interval old, otherwise
   * computed now (concurrent requests for a range share one computation). Throws DependencyUnavailableError
   * when the database cannot be read.
   */
  async snapshot(range: RangeName): Promise<Snapshot> {
    const cached = this.cache.get(range);
    if (cached && Date.now() - cached.at <= this.opts.pollIntervalMs) return cached.snapshot;
    let pending = this.onDemand.get(range);
    if (!pending) {
      pending = (async () => {
        const now = Date.now();
        const latest = await this.latestOrders(now, 'api');
        return answerWithin(
          computeSnapshot(this.reader, range, now, { topN: this.opts.topN }, latest),
          this.opts.queryTimeoutMs,
          'MySQL',
        );
      })()
        .catch((err: unknown) => {
          throw err instanceof DependencyUnavailableError
            ? err
            : new DependencyUnavailableError(`MySQL: ${describe(err)}`);
        })
        .finally(() => this.onDemand.delete(range));
      this.onDemand.set(range, pending);
    }
    return pending;
  }

  /** Resolves once no tick is running: one that began before the last client left has ended. */
  async idle(): Promise<void> {
    await this.ticking;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.clients) this.metrics.clients.dec({ range: c.range });
    this.clients.clear();
  }

  private schedule(delay: number): void {
    if (this.closed || this.clients.size === 0) return;
    if (this.ticking) {
      // A tick is running: run another right after it (new client, new range).
      this.wakeUp = this.wakeUp || delay === 0;
      return;
    }
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        const again = this.wakeUp;
        this.wakeUp = false;
        this.schedule(again ? 0 : this.opts.pollIntervalMs);
      });
    }, delay);
  }

  /** One tick of the loop (public for tests and the benchmark). */
  async tick(): Promise<void> {
    const ranges = new Set([...this.clients].map((c) => c.range));
    if (ranges.size === 0) return;
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    let version: string;
    try {
      version = await answerWithin(this.reader.version(), this.opts.queryTimeoutMs, 'MySQL');
    } catch (err) {
      this.metrics.refreshes.inc({ result: 'error' });
      this.setStatus({ mysql: 'down', error: `MySQL: ${describe(err)}` });
      return;
    }
    const key = `${version}@${minute}`;
    const stale = [...ranges].filter((r) => this.cache.get(r)?.key !== key);
    if (stale.length === 0 && this.status.mysql === 'ok' && this.status.cassandra !== 'down') {
      this.metrics.refreshes.inc({ result: 'skipped' });
      return;
    }
    const end = this.metrics.refreshDuration.startTimer();
    try {
      const latest = await this.latestOrders(now, key);
      for (const range of stale.length ? stale : ranges) {
        const snapshot = await answerWithin(
          computeSnapshot(this.reader, range, now, { topN: this.opts.topN }, latest),
          this.opts.queryTimeoutMs,
          'MySQL',
        );
        const json = JSON.stringify(snapshot);
        const previous = this.cache.get(range);
        this.cache.set(range, { snapshot, json, key, at: Date.now() });
        if (previous?.json !== json) this.broadcast(range, json);
      }
      this.metrics.refreshes.inc({ result: 'computed' });
      this.setStatus({ mysql: 'ok' });
    } catch (err) {
      this.metrics.refreshes.inc({ result: 'error' });
      this.setStatus({ mysql: 'down', error: `MySQL: ${describe(err)}` });
    } finally {
      end();
    }
  }

  /** Latest orders once per store version (shared by every range); null while Cassandra fails. */
  private async latestOrders(now: number, key: string): Promise<LatestOrder[] | null> {
    if (
      this.latest &&
      (this.latest.key === key || (key === 'api' && now - this.latest.at <= this.opts.pollIntervalMs))
    ) {
      if (this.latest.orders !== null) return this.latest.orders;
    }
    try {
      const orders = await answerWithin(
        this.reader.latestOrders(now, this.opts.latestOrders, this.opts.latestOrdersLookbackHours),
        this.opts.queryTimeoutMs,
        'Cassandra',
      );
      this.latest = { key, orders, at: Date.now() };
      this.setStatus({ cassandra: 'ok' });
      return orders;
    } catch (err) {
      this.latest = { key, orders: null, at: Date.now() };
      this.setStatus({ cassandra: 'down', error: `Cassandra: ${describe(err)}` });
      return null;
    }
  }

  private setStatus(change: Partial<StoreStatus>): void {
    const next = { ...this.status, ...change };
    if (next.mysql !== 'down' && next.cassandra !== 'down') next.error = null;
    else if (change.error === undefined) next.error = this.status.error;
    const same = next.mysql === this.status.mysql && next.cassandra === this.status.cassandra;
    if (same && next.error === this.status.error) return;
    if (!same) next.since = new Date().toISOString();
    this.status = next;
    this.statusJson = JSON.stringify(next);
    this.metrics.storeUp.set({ store: 'mysql' }, next.mysql === 'ok' ? 1 : 0);
    this.metrics.storeUp.set({ store: 'cassandra' }, next.cassandra === 'ok' ? 1 : 0);
    if (!same) this.logger.warn({ status: next }, next.error ? 'store unavailable' : 'stores available');
    const f = frame('status', this.statusJson);
    for (const c of this.clients) this.write(c, f, 'status');
  }

  private broadcast(range: RangeName, json: string): void {
    this.metrics.pushes.inc({ range });
    const f = frame('snapshot', json);
    for (const c of this.clients) if (c.range === range) this.write(c, f, 'snapshot');
  }

  private send(client: LiveClient, event: string, data: string): void {
    this.write(client, frame(event, data), event);
  }

  private write(client: LiveClient, f: string, event: string): void {
    client.write(f);
    this.metrics.eventsSent.inc({ event });
  }
}
