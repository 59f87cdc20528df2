/**
 * Every query of the generated Grafana boards against the real backends:
 * - operations board: the real ingest API, stream processor, dashboard and operator run in-process,
 *   are registered with the real local Prometheus (file_sd), get real traffic (valid and invalid
 *   orders, a poison message, an SSE client, a SalesPipeline to reconcile), and every PromQL query
 *   must return at least one series;
 * - sales board: every SQL query, its macros expanded as Grafana's MySQL data source does, runs
 *   against the real MariaDB with seeded rows and must return rows.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RowDataPacket } from 'mysql2';
import {
  createKafka,
  createLogger,
  ensureTopics,
  startOpsServer,
  type AcceptedOrder,
  topicsOf,
} from '@salespipeline/shared';
import {
  localStateDir,
  testInfra,
  testPrometheusUrl,
  uniqueName,
  waitFor,
  waitReady,
} from '@salespipeline/shared/testing';
import { authHeaders, startIngest, type RunningIngest } from '@salespipeline/ingest/testing';
import type { RunningProcessor } from '@salespipeline/processor/testing';
import {
  createNamespace,
  createSp,
  deleteNamespace,
  installCrds,
  quietLogger,
  testOperator,
  testRest,
} from '@salespipeline/operator/testing';
import type { Operator } from '@salespipeline/operator';
import { expandMysqlMacros } from '../src/grafana/mysql-macros.js';
import {
  createStores,
  order,
  SseReader,
  startDashboard,
  startStoresProcessor,
  type RunningDashboard,
  type Stores,
} from './helpers.js';

const boardsDir = new URL('../../../charts/salespipeline-operator/dashboards/', import.meta.url).pathname;
interface Target {
  expr?: string;
  rawSql?: string;
  format?: string;
}
const targetsOf = (file: string) =>
  (
    JSON.parse(readFileSync(`${boardsDir}${file}`, 'utf8')) as { panels: Array<{ title: string; targets?: Target[] }> }
  ).panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Counters that only get a series when something fails; for them the metric's presence on our targets is checked. */
const FAILURE_ONLY = new Set(['processor_sink_errors_total', 'controller_reconcile_errors_total']);

const infra = testInfra();
const run = uniqueName('dash_prom');
const topic = `${run}_orders`;
const prometheus = testPrometheusUrl();
const targetsDir = `${localStateDir}/prometheus/targets`;
let stores: Stores;
let ingest: RunningIngest;
let processor: RunningProcessor;
let dash: RunningDashboard;
let operator: Operator;
let operatorOps: Server;
let namespace: string;
let sse: SseReader;
const targetFiles: string[] = [];

const promQuery = async (query: string) => {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return body.data.result;
};

function register(app: string, url: string) {
  const file = `${targetsDir}/${run}_${app}.json`;
  const target = [{ targets: [new URL(url).host], labels: { app, test_run: run } }];
  writeFileSync(`${file}.tmp`, JSON.stringify(target));
  renameSync(`${file}.tmp`, file);
  targetFiles.push(file);
}

beforeAll(async () => {
  const kafka = createKafka(infra, createLogger('test', 'warn'));
  await ensureTopics(kafka, topic, { partitions: 2 });
  stores = await createStores('dash_grafana');
  const now = Date.now();
  await stores.seed([
    order('g-1', now - 5 * 60_000, { status: 'canceled', payment: 'card' }),
    order('g-2', now - 60 * 60_000, { lines: [{ sku: 'SKU-G', category: 'Garden', price: 4, qty: 2 }] }),
  ]);
  ingest = await startIngest(kafka, { ORDERS_TOPIC: topic });
  // Orders are accepted once its producer is connected.
  await waitReady(ingest.url, { what: 'ingest ready' });
  processor = await startStoresProcessor(stores, topic);
  dash = await startDashboard(stores.env);

  const rest = testRest();
  await installCrds(rest);
  namespace = await createNamespace(rest, 'dash-prom');
  operator = testOperator(namespace, { LEADER_ELECTION: 'true', LEADER_ELECTION_ID: run.replace(/_/g, '-') });
  operatorOps = await startOpsServer({
    registry: operator.registry,
    logger: quietLogger(),
    checks: [],
    port: 0,
    host: '127.0.0.1',
  });
  await createSp(rest, namespace, 'sales');

  const operatorAddress = operatorOps.address() as { port: number };
  register('ingest', ingest.opsUrl);
  register('processor', processor.opsUrl);
  register('dashboard', dash.url);
  register('salespipeline-operator', `http://127.0.0.1:${operatorAddress.port}`);

  // Traffic: accepted orders, a rejected one, a poison message for the DLQ, a live dashboard client.
  sse = new SseReader(`${dash.url}/api/stream?range=1h`);
  const orders: AcceptedOrder[] = Array.from({ length: 20 }, (_, i) => order(`${run}-${i}`, Date.now()));
  for (const o of orders) {
    const res = await fetch(`${ingest.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders },
      body: JSON.stringify(o),
    });
    expect(res.status).toBe(202);
  }
  const bad = await fetch(`${ingest.url}/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders },
    body: JSON.stringify({ order_id: 'x' }),
  });
  expect(bad.status).toBe(400);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'poison', value: 'not json' }] });
  await producer.disconnect();

  // Every target up and scraped at least three times since the traffic started; the counters of the
  // rejected order, of the dead letter and of the reconciles (with their duration histogram) appear
  // with them, and a rate needs two of their samples.
  const scrapedTwice = async (series: string) => (await promQuery(`count_over_time(${series}[1m]) >= 2`)).length > 0;
  await waitFor(
    async () => {
      const up = (await promQuery(`count_over_time(up{test_run="${run}"}[30s]) >= 3`)) as unknown[];
      const processed = await promQuery(`processor_orders_processed_total{test_run="${run}"} >= 20`);
      const appeared = await Promise.all(
        [
          `controller_reconcile_total{test_run="${run}"}`,
          `ingest_orders_rejected_total{test_run="${run}"}`,
          `ingest_request_duration_seconds_count{test_run="${run}", status="400"}`,
          `processor_messages_dlq_total{test_run="${run}"}`,
        ].map(scrapedTwice),
      );
      return up.length === 4 && processed.length > 0 && appeared.every(Boolean);
    },
    { timeoutMs: 90_000, intervalMs: 1000, what: 'Prometheus scraping the four apps with traffic' },
  );
}, 180_000);

afterAll(async () => {
  for (const f of targetFiles) rmSync(f, { force: true });
  await sse?.close();
  await dash?.stop();
  await processor?.stop();
  await ingest?.stop();
  await operator?.stop();
  await new Promise<void>((r) => (operatorOps ? operatorOps.close(() => r()) : r()));
  if (namespace) await deleteNamespace(testRest(), namespace);
  await stores?.cleanup();
  const admin = createKafka(infra, createLogger('test', 'warn')).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
  await admin.disconnect();
});

describe('operations board (PromQL on the real Prometheus)', () => {
  const targets = targetsOf('operations.json');

  test('has queries for every issue item', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const metric of [
      'ingest_orders_accepted_total',
      'ingest_orders_rejected_total',
      'ingest_kafka_send_duration_seconds_bucket',
      'processor_partition_lag',
      'processor_orders_processed_total',
      'processor_freshness_seconds_bucket',
      'process_start_time_seconds',
      'controller_reconcile_total',
      'controller_reconcile_errors_total',
    ]) {
      expect(all).toContain(metric);
    }
  });

  test.each(targets.map((t) => [t.panel, t.expr!] as const))('%s: %s', async (_panel, expr) => {
    const query = expr.replace(/\$__rate_interval/g, '1m');
    const result = await promQuery(query);
    if (result.length > 0) return;
    // Only a failure counter may be empty, and then our targets must expose it.
    const metrics = [...query.matchAll(/([a-z_]+_total)\{/g)].map((m) => m[1]!);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      expect(FAILURE_ONLY.has(metric)).toBe(true);
      const res = await fetch(
        `${prometheus}/api/v1/targets/metadata?metric=${metric}&match_target=${encodeURIComponent(`{test_run="${run}"}`)}`,
      );
      const body = (await res.json()) as { data: unknown[] };
      expect(body.data.length).toBeGreaterThan(0);
    }
  });
});

describe('sales board (SQL on the real MariaDB)', () => {
  const targets = targetsOf('sales.json');

  test.each(targets.map((t) => [t.rawSql!, t.format!] as const))('%s', async (rawSql, format) => {
    const sql = expandMysqlMacros(rawSql, { from: new Date(Date.now() - 24 * 3600_000), to: new Date() });
    const conn = await stores.pool.getConnection();
    try {
      await conn.query("SET time_zone = '+00:00'");
      const [rows] = await conn.query<RowDataPacket[]>(sql);
      expect(rows.length).toBeGreaterThan(0);
      if (format === 'time_series') expect(Object.keys(rows[0]!)).toContain('time');
      expect(Object.values(rows[0]!).some((v) => v !== null)).toBe(true);
    } finally {
      conn.release();
    }
  });
});
