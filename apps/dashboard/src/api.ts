/**
 * The JSON API behind the page (documented in ../README.md and served at /api/docs). Every read
 * goes through the shared LiveDashboard, so API clients add at most one computation per range per
 * poll interval; a database that cannot be read answers 503 {error: "unavailable"}.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { DependencyUnavailableError, type Logger } from '@salespipeline/shared';
import { apiDocument } from './docs.js';
import type { DashboardMetrics } from './metrics.js';
import { answerWithin, type LiveDashboard } from './poller.js';
import { BREAKDOWN_DIMS, type BreakdownDim, type SalesReader } from './queries.js';
import { isRange, windowOf, type RangeName } from './ranges.js';

export interface ApiOptions {
  heartbeatMs: number;
  queryTimeoutMs: number;
  /** An SSE client whose unsent output grows beyond this is disconnected (it reconnects). */
  maxBufferedBytes?: number;
}

class BadRequest extends Error {}

const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
};

const rangeOf = (req: Request): RangeName => {
  const raw = param(req, 'range') ?? '1h';
  if (!isRange(raw)) throw new BadRequest('range must be one of 15m, 1h, 24h, all');
  return raw;
};

export function createApi(
  live: LiveDashboard,
  reader: SalesReader,
  opts: ApiOptions,
  metrics: DashboardMetrics,
  logger: Logger,
): express.Router {
  const router = express.Router();
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;

  const route =
    (name: string, handler: (req: Request, res: Response) => Promise<unknown>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      const end = metrics.httpDuration.startTimer({ route: name });
      try {
        const body = await handler(req, res);
        res.set('cache-control', 'no-store').json(body);
      } catch (err) {
        if (err instanceof BadRequest) res.status(400).json({ error: 'invalid_parameter', message: err.message });
        else if (err instanceof DependencyUnavailableError) {
          res.set('retry-after', '2').status(503).json({ error: 'unavailable', message: err.message });
        } else next(err);
      } finally {
        end({ status: String(res.statusCode) });
      }
    };

  router.get('/docs', (_req, res) => {
    res.json(apiDocument());
  });

  router.get('/status', (_req, res) => {
    res.set('cache-control', 'no-store').json({ ...live.currentStatus, clients: live.clientCount });
  });

  router.get(
    '/summary',
    route('summary', async (req) => {
      const s = await live.snapshot(rangeOf(req));
      return { range: s.range, window: s.window, kpis: s.kpis, previous: s.previous, change: s.change };
    }),
  );

  router.get(
    '/timeseries',
    route('timeseries', async (req) => {
      const s = await live.snapshot(rangeOf(req));
      return {
        range: s.range,
        bucketSeconds: s.window.bucketSeconds,
        openMinute: s.window.openMinute,
        points: s.timeseries,
      };
    }),
  );

  router.get(
    '/breakdown',
    route('breakdown', async (req) => {
      const dim = param(req, 'dim') ?? 'status';
      if (!(BREAKDOWN_DIMS as readonly string[]).includes(dim)) {
        throw new BadRequest(`dim must be one of ${BREAKDOWN_DIMS.join(', ')}`);
      }
      const range = rangeOf(req);
      if (dim === 'sku') {
        // SKUs are many: not part of the live snapshot; the top `limit` by revenue, read on demand.
        const limit = Number(param(req, 'limit') ?? '100');
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequest('limit must be 1..1000');
        const rows = await guard(reader.top(windowOf(range, Date.now()), 'sku', 'revenue', limit), opts.queryTimeoutMs);
        return {
          range,
          dim,
          rows: rows.map((r) => ({ value: r.value, orders: r.orders, items: r.items, revenue: r.revenueCents / 100 })),
        };
      }
      const s = await live.snapshot(range);
      return { range, dim, rows: s.breakdowns[dim as Exclude<BreakdownDim, 'sku'>] };
    }),
  );

  router.get(
    '/top-products',
    route('top-products', async (req) => {
      const by = param(req, 'by') ?? 'revenue';
      if (by !== 'revenue' && by !== 'quantity') throw new BadRequest('by must be revenue or quantity');
      const s = await live.snapshot(rangeOf(req));
      return { range: s.range, by, rows: s.topProducts[by] };
    }),
  );

  router.get(
    '/latest-orders',
    route('latest-orders', async () => {
      const s = await live.snapshot('15m');
      if (s.latestOrders === null)
        throw new DependencyUnavailableError(live.currentStatus.error ?? 'Cassandra unavailable');
      return { orders: s.latestOrders };
    }),
  );

  router.get('/stream', (req, res) => {
    let range: RangeName;
    try {
      range = rangeOf(req);
    } catch (err) {
      res.status(400).json({ error: 'invalid_parameter', message: (err as Error).message });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write('retry: 2000\n\n');
    const write = (f: string) => {
      if (res.writableLength > maxBuffered) {
        logger.warn({ buffered: res.writableLength }, 'slow SSE client dropped');
        res.destroy();
        return;
      }
      res.write(f);
    };
    const unsubscribe = live.subscribe({ range, write });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    req.once('close', stop);
    res.once('close', stop);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such API route; see /api/docs' });
  });

  return router;
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
