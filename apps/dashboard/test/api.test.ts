/**
 * The JSON API and the SSE stream against the real MariaDB and Cassandra, seeded through the
 * processor's own sinks; the "database down" case cuts a TCP proxy in front of the real MariaDB.
 */
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { TcpProxy, testInfra, waitFor } from '@salespipeline/shared/testing';
import type { Snapshot } from '../src/snapshot.js';
import type { StoreStatus } from '../src/poller.js';
import {
  createStores,
  metricValue,
  order,
  SseReader,
  startDashboard,
  type RunningDashboard,
  type Stores,
} from './helpers.js';

const MIN = 60_000;
const now = Date.now();
// Offsets chosen away from every window edge: 2 min (15m), 30 min (1h), 90 min (the hour before),
// 30 h (only in `all` and in the 24 h before the last 24 h).
const seeded = [
  order('o-now-1', now - 2 * MIN, {
    status: 'complete',
    payment: 'cod',
    lines: [
      { sku: 'SKU-A', category: 'Books', price: 10.5, qty: 2 },
      { sku: 'SKU-B', category: 'Toys', price: 3, qty: 5, discount: 1 },
    ],
  }),
  order('o-now-2', now - 2 * MIN, {
    status: 'canceled',
    payment: 'card',
    lines: [{ sku: 'SKU-C', category: 'Books', price: 100, qty: 1 }],
  }),
  order('o-30m', now - 30 * MIN, {
    status: 'refund',
    payment: 'card',
    lines: [{ sku: 'SKU-A', category: 'Books', price: 10.5, qty: 1 }],
  }),
  order('o-90m', now - 90 * MIN, {
    status: 'complete',
    payment: 'cod',
    lines: [{ sku: 'SKU-B', category: 'Toys', price: 3, qty: 4 }],
  }),
  order('o-30h', now - 30 * 3600_000, {
    status: 'complete',
    payment: 'cod',
    lines: [{ sku: 'SKU-D', category: 'Garden', price: 7, qty: 3 }],
  }),
];

let stores: Stores;
let dash: RunningDashboard;

beforeAll(async () => {
  stores = await createStores('dash_api');
  await stores.seed(seeded);
  dash = await startDashboard({ ...stores.env, DASHBOARD_POLL_INTERVAL_MS: '100' });
});

afterAll(async () => {
  await dash?.stop();
  await stores?.cleanup();
});

const get = async (path: string) => {
  const res = await fetch(`${dash.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('JSON API', () => {
  test('summary: KPIs per range and the change against the previous period', async () => {
    const m15 = (await get('/api/summary?range=15m')).body as unknown as Snapshot;
    // o-now-1: 10.50×2 + 3×5 − 1 = 35.00; o-now-2: 100.00
    expect(m15.kpis).toEqual({
      orders: 2,
      revenue: 135,
      items: 8,
      discount: 1,
      averageOrderValue: 67.5,
      refundCancelRate: 0.5,
    });
    expect(m15.previous?.orders).toBe(0);
    expect(m15.change?.orders).toBeNull();

    const h1 = (await get('/api/summary?range=1h')).body as unknown as Snapshot;
    expect(h1.kpis.orders).toBe(3);
    expect(h1.kpis.revenue).toBe(145.5);
    expect(h1.kpis.refundCancelRate).toBeCloseTo(2 / 3);
    expect(h1.previous).toMatchObject({ orders: 1, revenue: 12, items: 4 });
    expect(h1.change?.orders).toBe(2); // 3 vs 1: +200 %
    expect(h1.change?.refundCancelRate).toBeCloseTo(2 / 3); // points: 66.7 % vs 0 %

    const d1 = (await get('/api/summary?range=24h')).body as unknown as Snapshot;
    expect(d1.kpis.orders).toBe(4);
    expect(d1.previous?.orders).toBe(1);

    const all = (await get('/api/summary?range=all')).body as unknown as Snapshot;
    expect(all.kpis).toMatchObject({ orders: 5, revenue: 178.5, items: 16 });
    expect(all.previous).toBeNull();
    expect(all.change).toBeNull();
  });

  test('timeseries: one point per minute, the open minute marked', async () => {
    const minuteOf = (t: number) => new Date(Math.floor(t / MIN) * MIN).toISOString();
    const before = Date.now();
    const { body } = await get('/api/timeseries?range=15m');
    const after = Date.now();
    const points = body.points as Snapshot['timeseries'];
    expect(body.bucketSeconds).toBe(60);
    expect(points.length).toBe(15);
    expect(points.filter((p) => p.open)).toHaveLength(1);
    expect(points.at(-1)!.open).toBe(true);
    expect(points.at(-1)!.t).toBe(body.openMinute);
    // The server's clock was read during the request, which may have crossed a minute boundary.
    expect([minuteOf(before), minuteOf(after)]).toContain(body.openMinute);
    expect(points.find((p) => p.t === minuteOf(now - 2 * MIN))).toMatchObject({ orders: 2, revenue: 135, items: 8 });
    expect(points.reduce((s, p) => s + p.orders, 0)).toBe(2);

    const all = (await get('/api/timeseries?range=all')).body;
    const allPoints = all.points as Snapshot['timeseries'];
    expect(allPoints.reduce((s, p) => s + p.orders, 0)).toBe(5);
    expect(allPoints.length).toBeLessThanOrEqual(1440);
  });

  test('breakdowns by status, category, payment method and sku', async () => {
    const status = (await get('/api/breakdown?dim=status&range=1h')).body.rows;
    expect(status).toEqual(
      expect.arrayContaining([
        { value: 'canceled', orders: 1, items: 1, revenue: 100 },
        { value: 'complete', orders: 1, items: 7, revenue: 35 },
        { value: 'refund', orders: 1, items: 1, revenue: 10.5 },
      ]),
    );
    const category = (await get('/api/breakdown?dim=category&range=15m')).body.rows;
    // Category rows carry the net of their lines: Books 21 + 100, Toys 15 − 1.
    expect(category).toEqual([
      { value: 'Books', orders: 2, items: 3, revenue: 121 },
      { value: 'Toys', orders: 1, items: 5, revenue: 14 },
    ]);
    const payment = (await get('/api/breakdown?dim=payment_method&range=all')).body.rows;
    expect(payment).toEqual([
      { value: 'card', orders: 2, items: 2, revenue: 110.5 },
      { value: 'cod', orders: 3, items: 14, revenue: 68 },
    ]);
    const sku = (await get('/api/breakdown?dim=sku&range=all&limit=2')).body.rows as Array<{ value: string }>;
    expect(sku.map((r) => r.value)).toEqual(['SKU-C', 'SKU-A']);
  });

  test('top products by revenue and by quantity', async () => {
    const byRevenue = (await get('/api/top-products?by=revenue&range=all')).body.rows as Array<{ value: string }>;
    expect(byRevenue.map((r) => r.value)).toEqual(['SKU-C', 'SKU-A', 'SKU-B', 'SKU-D']);
    const byQuantity = (await get('/api/top-products?by=quantity&range=all')).body.rows as Array<{
      value: string;
      items: number;
    }>;
    expect(byQuantity.map((r) => [r.value, r.items])).toEqual([
      ['SKU-B', 9],
      ['SKU-A', 3], // ties on quantity are ordered by revenue
      ['SKU-D', 3],
      ['SKU-C', 1],
    ]);
  });

  test('latest orders from Cassandra, newest first, within the look-back (24 hourly partitions)', async () => {
    const { body } = await get('/api/latest-orders');
    const orders = body.orders as Array<{
      order_id: string;
      grand_total: number;
      item_count: number;
      created_at: string;
    }>;
    expect(orders.map((o) => o.order_id)).toEqual(['o-now-1', 'o-now-2', 'o-30m', 'o-90m']);
    expect(orders[0]).toMatchObject({
      grand_total: 35,
      item_count: 7,
      created_at: new Date(now - 2 * MIN).toISOString(),
    });
  });

  test('bad parameters answer 400 with a message; unknown routes 404; docs list every route', async () => {
    expect(await get('/api/summary?range=7d')).toMatchObject({ status: 400, body: { error: 'invalid_parameter' } });
    expect(await get('/api/breakdown?dim=customer')).toMatchObject({
      status: 400,
      body: { error: 'invalid_parameter' },
    });
    expect(await get('/api/top-products?by=margin')).toMatchObject({ status: 400 });
    expect((await get('/api/nope')).status).toBe(404);
    const docs = (await get('/api/docs')).body as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/api/summary',
        '/api/timeseries',
        '/api/breakdown',
        '/api/top-products',
        '/api/latest-orders',
        '/api/stream',
      ]),
    );
  });
});

describe('live stream', () => {
  test('every client gets the snapshot at once, and each change once, from one shared loop', async () => {
    const a = new SseReader(`${dash.url}/api/stream?range=15m`);
    const b = new SseReader(`${dash.url}/api/stream?range=15m`);
    const c = new SseReader(`${dash.url}/api/stream?range=1h`);
    try {
      await waitFor(async () => [a, b, c].every((r) => r.of('snapshot').length >= 1), { what: 'first snapshots' });
      // The MySQL status follows the snapshot it was read with.
      await waitFor(
        () => {
          const status = a.of<StoreStatus>('status').at(-1);
          return status?.mysql === 'ok' && status.cassandra === 'ok';
        },
        { what: 'both stores reported ok' },
      );
      expect(a.of<Snapshot>('snapshot')[0]!.kpis.orders).toBe(2);
      expect(c.of<Snapshot>('snapshot')[0]!.kpis.orders).toBe(3);
      const pushesBefore = await metricValue(dash.url, 'dashboard_snapshots_pushed_total', { range: '15m' });

      await stores.seed([
        order('o-live', Date.now(), { lines: [{ sku: 'SKU-Z', category: 'Books', price: 1, qty: 1 }] }),
      ]);
      // A tick may read MySQL after the seed's commit but Cassandra before its write; the next one has both.
      await waitFor(
        async () =>
          [a, b].every((r) => {
            const last = r.of<Snapshot>('snapshot').at(-1)!;
            return last.kpis.orders === 3 && last.latestOrders?.[0]?.order_id === 'o-live';
          }),
        { what: 'the new order pushed to both 15m clients, first of the latest orders' },
      );
      await waitFor(async () => c.of<Snapshot>('snapshot').at(-1)!.kpis.orders === 4, {
        what: 'the 1h client',
      });
      // Both clients of a range got the same frames (each stream delivers them in its own time); the
      // loop broadcast each change once.
      const pushes = (await metricValue(dash.url, 'dashboard_snapshots_pushed_total', { range: '15m' })) - pushesBefore;
      expect(pushes).toBeGreaterThanOrEqual(1);
      await waitFor(() => a.of('snapshot').length === b.of('snapshot').length, { what: 'the same frames to a and b' });
      expect(await metricValue(dash.url, 'dashboard_sse_clients')).toBe(3);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
    // No client: the loop stops; no more ticks.
    await waitFor(async () => (await metricValue(dash.url, 'dashboard_sse_clients')) === 0, { what: 'clients gone' });
    // A tick in flight may still finish; after that the count stays.
    await dash.live.idle();
    const ticks = await metricValue(dash.url, 'dashboard_refresh_total');
    await setTimeout(1_000);
    expect(await metricValue(dash.url, 'dashboard_refresh_total')).toBe(ticks);
  });

  test('nothing changed: the loop ticks but pushes nothing', async () => {
    const a = new SseReader(`${dash.url}/api/stream?range=all`);
    try {
      await waitFor(async () => a.of('snapshot').length >= 1, { what: 'first snapshot' });
      const skippedBefore = await metricValue(dash.url, 'dashboard_refresh_total', { result: 'skipped' });
      // However slowly the loop ticks: three ticks that found nothing changed, and no push for them
      // (a minute boundary may force one recomputation, which pushes nothing new for `all` unless the
      // open bucket moved).
      await waitFor(
        async () =>
          (await metricValue(dash.url, 'dashboard_refresh_total', { result: 'skipped' })) - skippedBefore >= 3,
        { what: 'three skipped ticks' },
      );
      expect(a.of('snapshot').length).toBeLessThanOrEqual(2);
    } finally {
      await a.close();
    }
  });
});

describe('database down', () => {
  test('API answers 503 JSON and the stream reports mysql down, then recovers', async () => {
    const infra = new URL(testInfra().mysqlUrl);
    const proxy = new TcpProxy(infra.hostname, Number(infra.port));
    const port = await proxy.start();
    const url = new URL(stores.mysqlUrl);
    url.port = String(port);
    const viaProxy = await startDashboard({
      ...stores.env,
      MYSQL_URL: url.toString(),
      DASHBOARD_POLL_INTERVAL_MS: '100',
    });
    const sse = new SseReader(`${viaProxy.url}/api/stream?range=1h`);
    try {
      await waitFor(async () => sse.of('snapshot').length >= 1, { what: 'first snapshot' });
      await proxy.cut();
      await waitFor(async () => sse.of<StoreStatus>('status').at(-1)?.mysql === 'down', {
        what: 'status down',
        timeoutMs: 10_000,
      });
      expect(sse.of<StoreStatus>('status').at(-1)!.error).toMatch(/MySQL/);
      const res = await fetch(`${viaProxy.url}/api/summary?range=15m`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/MySQL/) });
      expect(await metricValue(viaProxy.url, 'dashboard_store_up', { store: 'mysql' })).toBe(0);

      await proxy.restore();
      await waitFor(async () => sse.of<StoreStatus>('status').at(-1)?.mysql === 'ok', {
        what: 'status ok',
        timeoutMs: 15_000,
      });
      expect((await fetch(`${viaProxy.url}/api/summary?range=15m`)).status).toBe(200);
    } finally {
      await sse.close();
      await viaProxy.stop();
      await proxy.cut();
    }
  });
});
