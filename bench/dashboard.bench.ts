/**
 * Dashboard benchmark (npx tsx bench/dashboard.bench.ts; needs the local services and `npx tsc -b`):
 *  1. accepted → on-screen latency: the pipeline (ingest API + stream processor, in this process)
 *     runs at LOAD orders/s; every second a probe order is posted and headless Chromium (Debian
 *     package) records when its row appears in the page's latest-orders table. Probes are stamped
 *     2 minutes ahead so they rank first among the load's orders (latest orders sort by event time).
 *  2. server CPU: the dashboard runs as its own process (dist/main.js); its CPU (process_cpu_seconds_total)
 *     is measured with 1 and with 50 connected SSE clients while the load continues.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { createKafka, createLogger, ensureTopics, topicsOf } from '@salespipeline/shared';
import { testInfra, uniqueName, waitFor } from '@salespipeline/shared/testing';
import { authHeaders, startIngest } from '@salespipeline/ingest/testing';
import { chromiumOptions, metricValue, order, SseReader } from '@salespipeline/dashboard/testing';
import { createStores, startStoresProcessor } from '@salespipeline/processor/testing';
import { quantile, writeResult } from './results.js';

const LOAD = Number(process.env.LOAD ?? 500);
const PROBES = Number(process.env.PROBES ?? 40);
const CPU_SECONDS = Number(process.env.CPU_SECONDS ?? 20);
const CLIENTS = 50;
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function main() {
  const infra = testInfra();
  const topic = uniqueName('bench_dash_orders');
  const kafka = createKafka(infra, createLogger('bench', 'warn'));
  await ensureTopics(kafka, topic, { partitions: 6 });
  const stores = await createStores('bench_dash');
  const ingest = await startIngest(kafka, { ORDERS_TOPIC: topic });
  const processor = await startStoresProcessor(stores, topic);
  const port = await freePort();
  const dashUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [new URL('../apps/dashboard/dist/main.js', import.meta.url).pathname], {
    env: {
      ...process.env,
      ...stores.env,
      DASHBOARD_PORT: String(port),
      DASHBOARD_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor(async () => (await fetch(`${dashUrl}/readyz`)).ok, { what: 'dashboard ready' });

  // Load: batches of 50 at LOAD orders/s.
  let loading = true;
  let sent = 0;
  const post = (path: string, body: unknown) =>
    fetch(`${ingest.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders },
      body: JSON.stringify(body),
    });
  const categories = ['Books', 'Toys', 'Garden', 'Mobiles & Tablets', "Men's Fashion"];
  const statuses = ['complete', 'processing', 'canceled', 'refund', 'received'] as const;
  const loadLoop = (async () => {
    const batch = 50;
    const interval = (1000 * batch) / LOAD;
    let next = Date.now();
    while (loading) {
      const orders = Array.from({ length: batch }, (_, i) => {
        const n = sent + i;
        return order(`load-${n}-${topic}`.slice(0, 64), Date.now(), {
          status: statuses[n % statuses.length],
          payment: ['cod', 'card', 'Easypay'][n % 3],
          lines: [
            {
              sku: `SKU-${n % 200}`,
              category: categories[n % categories.length]!,
              price: 5 + (n % 50),
              qty: 1 + (n % 3),
            },
          ],
        });
      });
      sent += batch;
      void post('/v1/orders/batch', { orders }).catch(() => undefined);
      next += interval;
      await sleep(Math.max(0, next - Date.now()));
    }
  })();
  await sleep(5000);

  // 1. Accepted → on-screen latency in the browser.
  const browser = await chromium.launch(chromiumOptions);
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(`${dashUrl}/?range=15m`);
  await page.waitForSelector('#latest tr');
  // Runs in the page (a string: the benchmark is type-checked without the DOM library).
  await page.evaluate(`(() => {
    const seen = new Map();
    window.seen = seen;
    new MutationObserver(() => {
      for (const tr of document.querySelectorAll('#latest tr[data-order-id^="probe-"]')) {
        const id = tr.getAttribute('data-order-id');
        if (!seen.has(id)) seen.set(id, Date.now());
      }
    }).observe(document.getElementById('latest'), { childList: true, subtree: true });
  })()`);
  const accepted = new Map<string, number>();
  for (let i = 0; i < PROBES; i++) {
    const id = `probe-${i}-${Date.now()}`;
    const res = await post('/v1/orders', order(id, Date.now() + 120_000));
    if (res.status === 202) accepted.set(id, Date.now());
    await sleep(1000);
  }
  await sleep(3000);
  const seen = new Map(await page.evaluate<Array<[string, number]>>('[...window.seen]'));
  const latencies = [...accepted].filter(([id]) => seen.has(id)).map(([id, at]) => seen.get(id)! - at);
  const missed = accepted.size - latencies.length;
  await browser.close();

  // 2. Dashboard CPU with 1 and with 50 SSE clients, load continuing.
  const cpu = async (clients: number) => {
    const readers = Array.from({ length: clients }, () => new SseReader(`${dashUrl}/api/stream?range=1h`));
    await sleep(2000);
    const cpu0 = await metricValue(dashUrl, 'process_cpu_seconds_total');
    const computed0 = await metricValue(dashUrl, 'dashboard_refresh_total', { result: 'computed' });
    const t0 = Date.now();
    await sleep(CPU_SECONDS * 1000);
    const cpu1 = await metricValue(dashUrl, 'process_cpu_seconds_total');
    const computed1 = await metricValue(dashUrl, 'dashboard_refresh_total', { result: 'computed' });
    const secs = (Date.now() - t0) / 1000;
    const events = readers.reduce((s, r) => s + r.of('snapshot').length, 0);
    await Promise.all(readers.map((r) => r.close()));
    return { cpu: (cpu1 - cpu0) / secs, refreshesPerSecond: (computed1 - computed0) / secs, events };
  };
  const one = await cpu(1);
  const fifty = await cpu(CLIENTS);

  loading = false;
  await loadLoop;
  const processed = await metricValue(processor.opsUrl, 'processor_orders_processed_total');
  child.kill('SIGTERM');
  await processor.stop();
  await ingest.stop();
  await stores.cleanup();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
  await admin.disconnect();

  writeResult(
    'dashboard',
    { load: LOAD, probes: PROBES, cpuSeconds: CPU_SECONDS, clients: CLIENTS, pollIntervalMs: 250, processed },
    {
      onScreenP50: { value: quantile(latencies, 0.5), unit: 'ms' },
      onScreenP99: { value: quantile(latencies, 0.99), unit: 'ms', target: '≤ 1500' },
      onScreenMax: { value: Math.max(...latencies), unit: 'ms' },
      probesMissed: { value: missed, unit: 'probes', target: '0' },
      cpu1Client: { value: one.cpu * 100, unit: '% of a core' },
      cpu50Clients: { value: fifty.cpu * 100, unit: '% of a core' },
      refreshesPerSecond1Client: { value: one.refreshesPerSecond, unit: 'computations/s' },
      refreshesPerSecond50Clients: {
        value: fifty.refreshesPerSecond,
        unit: 'computations/s',
        target: 'same as 1 client',
      },
    },
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
