/**
 * The JSON API behind the page (documented in ../README.md and served at /api/docs). Every read
 * goes through the shared LiveDashboard, so API clients add at most one computation per range per
 * poll interval; a database that cannot be read answers 503 {error: "unavailable"}. Errors are
 * thrown as HttpErrors for the app's error tail.
 */
import express, { type Request, type RequestHandler } from 'express';
import { DependencyUnavailableError, HttpError, notFound, timed, type Logger } from '@salespipeline/shared';
import { apiDocument } from './docs.js';
import type { DashboardMetrics } from './metrics.js';
import { dimOf, limitOf, rangeOf, rankingOf } from './params.js';
import { answerWithin, type LiveDashboard } from './poller.js';
import type { SalesReader } from './queries.js';
import { windowOf, type RangeName } from './ranges.js';
import { streamRoute } from './stream.js';

export interface ApiOptions {
  heartbeatMs: number;
  queryTimeoutMs: number;
  /** An SSE client whose unsent output grows beyond this is disconnected (it reconnects). */
  maxBufferedBytes?: number;
}

/** A JSON read: timed, never cached; a store that cannot be read answers 503 with Retry-After. */
const jsonRoute = (
  metrics: DashboardMetrics,
  name: string,
  read: (req: Request) => Promise<unknown>,
): RequestHandler[] => [
  timed(metrics.httpDuration, name),
  async (req, res) => {
    const body = await read(req).catch((err: unknown) => {
      if (!(err instanceof DependencyUnavailableError)) throw err;
      throw new HttpError(503, 'unavailable', err.message, { headers: { 'retry-after': '2' } });
    });
    res.set('cache-control', 'no-store').json(body);
  },
];

export function createApi(
  live: LiveDashboard,
  reader: SalesReader,
  opts: ApiOptions,
  metrics: DashboardMetrics,
  logger: Logger,
): express.Router {
  const router = express.Router();
  const route = (path: string, name: string, read: (req: Request) => Promise<unknown>) =>
    router.get(path, ...jsonRoute(metrics, name, read));

  router.get('/docs', (_req, res) => {
    res.json(apiDocument());
  });
  router.get('/status', (_req, res) => {
    res.set('cache-control', 'no-store').json({ ...live.currentStatus, clients: live.clientCount });
  });
  route('/summary', 'summary', async (req) => {
    const s = await live.snapshot(rangeOf(req));
    return { range: s.range, window: s.window, kpis: s.kpis, previous: s.previous, change: s.change };
  });
  route('/timeseries', 'timeseries', async (req) => {
    const s = await live.snapshot(rangeOf(req));
    return {
      range: s.range,
      bucketSeconds: s.window.bucketSeconds,
      openMinute: s.window.openMinute,
      points: s.timeseries,
    };
  });
  route('/breakdown', 'breakdown', async (req) => {
    const dim = dimOf(req);
    const range = rangeOf(req);
    if (dim === 'sku') return { range, dim, rows: await topSkus(reader, range, limitOf(req), opts.queryTimeoutMs) };
    const s = await live.snapshot(range);
    return { range, dim, rows: s.breakdowns[dim] };
  });
  route('/top-products', 'top-products', async (req) => {
    const by = rankingOf(req);
    const s = await live.snapshot(rangeOf(req));
    return { range: s.range, by, rows: s.topProducts[by] };
  });
  route('/latest-orders', 'latest-orders', async () => {
    const s = await live.snapshot('15m');
    if (s.latestOrders === null)
      throw new DependencyUnavailableError(live.currentStatus.error ?? 'Cassandra unavailable');
    return { orders: s.latestOrders };
  });
  router.get(
    '/stream',
    streamRoute(
      live,
      { heartbeatMs: opts.heartbeatMs, maxBufferedBytes: opts.maxBufferedBytes ?? 4 * 1024 * 1024 },
      logger,
    ),
  );
  router.use(notFound('no such API route; see /api/docs'));
  return router;
}

/** SKUs are many: not part of the live snapshot; the top `limit` by revenue, read on demand. */
async function topSkus(reader: SalesReader, range: RangeName, limit: number, timeoutMs: number) {
  const rows = await guard(reader.top(windowOf(range, Date.now()), 'sku', 'revenue', limit), timeoutMs);
  return rows.map((r) => ({ value: r.value, orders: r.orders, items: r.items, revenue: r.revenueCents / 100 }));
}

async function guard<T>(promise: Promise<T>, ms: number): Promise<T> {
  try {
    return await answerWithin(promise, ms, 'MySQL');
  } catch (err) {
    throw err instanceof DependencyUnavailableError
      ? err
      : new DependencyUnavailableError(`MySQL: ${(err as Error).message}`);
  }
}
