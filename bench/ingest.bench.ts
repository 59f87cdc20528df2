/**
 * Ingest API throughput and latency against the real Kafka: single orders at steady rates (paced.ts:
 * p50/p99 from when each request was due),
 * single orders flat out, and batches flat out. The API runs as its own process (node dist); CPU is
 * that process's and its workers' together.
 *   npx tsx bench/ingest.bench.ts
 * Environment:
 *   BENCH_INGEST_SECONDS  seconds per run (20)
 *   BENCH_INGEST_RUNS     which runs, comma-separated, of 1000,5000,max,batch,idle,batch-paced (all)
 *                         idle: the API's CPU with no load; batch-paced: batches of 100 orders at
 *                         BENCH_INGEST_BATCH_RATE requests/s (20, the pipeline benchmark's 2,000 orders/s)
 *   BENCH_INGEST_WORKERS  INGEST_WORKERS of the API (unset: its default auto)
 *   BENCH_INGEST_COMPRESSION  INGEST_KAFKA_COMPRESSION of the API (none)
 *   BENCH_NODE_ARGS       node flags of the API, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (profiles
 *                         are written when it exits)
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { createKafka, createLogger, ensureTopics, topicsOf } from '@salespipeline/shared';
import { testInfra } from '@salespipeline/shared/testing';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { pacedLoad } from './paced.js';
import { writeResult, type Figure } from './results.js';
import {
  benchNodeArgs,
  cpuSeconds,
  env,
  freePort,
  servicePids,
  startApp,
  treeCpuSeconds,
  waitReady,
} from './common.js';

const seconds = env('BENCH_INGEST_SECONDS', 20);
const runs = new Set((process.env.BENCH_INGEST_RUNS ?? '1000,5000,max,batch,idle,batch-paced').split(','));
const pacedBatchRate = env('BENCH_INGEST_BATCH_RATE', 20);
const workers = process.env.BENCH_INGEST_WORKERS;
const compression = process.env.BENCH_INGEST_COMPRESSION ?? 'none';
const topic = `bench_ingest_${Date.now().toString(36)}`;
const kafka = createKafka({ ...testInfra(), kafkaClientId: 'bench' }, createLogger('bench', 'warn'));
await ensureTopics(kafka, topic, { partitions: 6, retentionMs: 3600_000 });
const port = await freePort();
const opsPort = await freePort();
const url = `http://127.0.0.1:${port}`;
const apiKey = randomBytes(24).toString('hex');
// Flat out from one client: no rate limit here (the bench measures the API, not the limiter).
const child = startApp(
  'ingest',
  [],
  {
    INGEST_PORT: String(port),
    INGEST_HOST: '127.0.0.1',
    INGEST_OPS_PORT: String(opsPort),
    INGEST_OPS_HOST: '127.0.0.1',
    ORDERS_TOPIC: topic,
    INGEST_KAFKA_COMPRESSION: compression,
    INGEST_API_KEYS: `bench:${apiKey}`,
    INGEST_RATE_LIMIT_PER_SECOND: '0',
    ...(workers ? { INGEST_WORKERS: workers } : {}),
  },
  benchNodeArgs(),
);
process.on('exit', () => child.kill('SIGKILL'));
// The ops port answers once every worker is up (the API port as soon as one is).
await waitReady(`http://127.0.0.1:${opsPort}`);

const gen = new OrderGenerator(1, `bi${Date.now().toString(36)}-`);
const singles = Array.from({ length: 20_000 }, () => JSON.stringify(gen.next()));
const batchBodies = (size: number) =>
  Array.from({ length: 100 }, () => JSON.stringify({ orders: Array.from({ length: size }, () => gen.next()) }));
const batchSize = 500;
const batches = batchBodies(batchSize);
const pacedBatchSize = 100;

const kafkaPid = servicePids().kafka;
/** Sum and count of ingest_kafka_request_orders (orders per produce request), over all workers. */
async function produceRequests(): Promise<{ orders: number; requests: number }> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:{[^}]*})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { orders: value('ingest_kafka_request_orders_sum'), requests: value('ingest_kafka_request_orders_count') };
}

interface Load {
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

/** One load against the API, with the ingest's and Kafka's CPU and the orders per produce request. */
async function measure<T extends Load>(name: string, load: () => Promise<T>) {
  const cpu0 = treeCpuSeconds(child.pid!);
  const kafkaCpu0 = kafkaPid ? cpuSeconds(kafkaPid) : NaN;
  const produced0 = await produceRequests();
  const result = await load();
  const cpu = treeCpuSeconds(child.pid!) - cpu0;
  const kafkaCpu = kafkaPid ? cpuSeconds(kafkaPid) - kafkaCpu0 : NaN;
  const produced1 = await produceRequests();
  const perRequest = (produced1.orders - produced0.orders) / (produced1.requests - produced0.requests);
  const { ok } = result;
  process.stdout.write(
    `${name}: ${(ok / seconds).toFixed(0)} req/s 2xx, non-2xx ${result.non2xx}, errors ${result.errors}, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ingest CPU ${cpu.toFixed(1)} s (${((cpu / ok) * 1000).toFixed(3)} s per 1,000), Kafka CPU ${kafkaCpu.toFixed(1)} s, ${perRequest.toFixed(1)} orders per produce request\n`,
  );
  return { result, ok, cpu, kafkaCpu, perRequest };
}

const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };

/** Flat out: autocannon's connections each send the next request when the last is answered. */
function flatOut(name: string, opts: { bodies: string[]; path: string; connections: number }) {
  let i = 0;
  return measure(name, async () => {
    const result = await autocannon({
      url,
      duration: seconds,
      connections: opts.connections,
      pipelining: 1,
      requests: [
        {
          method: 'POST',
          path: opts.path,
          headers,
          setupRequest: (req) => ({ ...req, body: opts.bodies[i++ % opts.bodies.length] }),
        },
      ],
    });
    const { p50, p99 } = result.latency;
    return { ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, p50, p99 };
  });
}

const figures: Record<string, Figure> = {};
// Warm-up (JIT, connections, producer batching) of the accepting path, with the key, not recorded.
let warm = 0;
await autocannon({
  url,
  duration: 3,
  connections: 16,
  requests: [
    { method: 'POST', path: '/v1/orders', headers, setupRequest: (req) => ({ ...req, body: singles[warm++ % 1000] }) },
  ],
});
for (const rate of [1000, 5000].filter((r) => runs.has(String(r)))) {
  const { result } = await measure(`single @${rate}/s (paced)`, () =>
    pacedLoad({ url, path: '/v1/orders', headers, bodies: singles, rate, seconds, connections: 64 }),
  );
  process.stdout.write(
    `  generator sent late by ${result.sendLagP99.toFixed(1)} ms p99, slowest answer ${result.max.toFixed(1)} ms\n`,
  );
  figures[`single_${rate}_rps_achieved`] = { value: Math.round(result.ok / seconds), unit: 'req/s' };
  figures[`single_${rate}_rps_p50`] = { value: result.p50, unit: 'ms' };
  figures[`single_${rate}_rps_p99`] = {
    value: result.p99,
    unit: 'ms',
    ...(rate === 1000 ? { target: '≤ 20 ms' } : {}),
  };
}
if (runs.has('max')) {
  const max = await flatOut('single flat out', { bodies: singles, path: '/v1/orders', connections: 64 });
  figures.single_max_rps = { value: Math.round(max.ok / seconds), unit: 'req/s', target: '≥ 10000' };
  figures.single_max_p50 = { value: max.result.p50, unit: 'ms' };
  figures.single_max_p99 = { value: max.result.p99, unit: 'ms' };
  figures.single_cpu_per_1000 = { value: (max.cpu / max.ok) * 1000, unit: 'CPU s / 1000 orders (ingest)' };
  figures.single_kafka_cpu_per_1000 = { value: (max.kafkaCpu / max.ok) * 1000, unit: 'CPU s / 1000 orders (Kafka)' };
  figures.single_orders_per_produce = { value: max.perRequest, unit: 'orders per produce request' };
}
if (runs.has('batch')) {
  const batch = await flatOut(`batches of ${batchSize}`, { bodies: batches, path: '/v1/orders/batch', connections: 8 });
  figures.batch_orders_per_s = {
    value: Math.round((batch.ok * batchSize) / seconds),
    unit: 'orders/s',
    target: '≥ 100000',
  };
  figures.batch_p99 = { value: batch.result.p99, unit: 'ms per batch request' };
  figures.batch_cpu_per_1000 = {
    value: (batch.cpu / (batch.ok * batchSize)) * 1000,
    unit: 'CPU s / 1000 orders (ingest)',
  };
  figures.batch_kafka_cpu_per_1000 = {
    value: (batch.kafkaCpu / (batch.ok * batchSize)) * 1000,
    unit: 'CPU s / 1000 orders (Kafka)',
  };
  figures.batch_orders_per_produce = { value: batch.perRequest, unit: 'orders per produce request' };
}

if (runs.has('batch-paced')) {
  const bodies = batchBodies(pacedBatchSize);
  const { ok, cpu, result } = await measure(`batches of ${pacedBatchSize} @${pacedBatchRate}/s (paced)`, () =>
    pacedLoad({ url, path: '/v1/orders/batch', headers, bodies, rate: pacedBatchRate, seconds, connections: 16 }),
  );
  figures.batch_paced_cpu_per_1000 = {
    value: (cpu / (ok * pacedBatchSize)) * 1000,
    unit: `CPU s / 1000 orders (ingest), batches of ${pacedBatchSize} at ${pacedBatchRate}/s`,
  };
  figures.batch_paced_p99 = { value: result.p99, unit: 'ms per batch request' };
}
if (runs.has('idle')) {
  const cpu0 = treeCpuSeconds(child.pid!);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const idle = treeCpuSeconds(child.pid!) - cpu0;
  process.stdout.write(`idle: ingest CPU ${idle.toFixed(2)} s in ${seconds} s\n`);
  figures.idle_cpu_share = { value: idle / seconds, unit: 'CPU s per s with no load (ingest)' };
}

// Exactness: every 2xx order is in the topic (the runs above only ever got 202 or an error).
const admin = kafka.admin();
await admin.connect();
const offsets = await admin.fetchTopicOffsets(topic);
const inKafka = offsets.reduce((s, o) => s + Number(o.high), 0);
await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) });
await admin.disconnect();
figures.orders_in_kafka = { value: inKafka, unit: 'messages (≥ orders answered 202)' };
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
writeResult(
  'ingest',
  {
    seconds,
    batchSize,
    partitions: 6,
    process: 'node apps/ingest/dist/main.js',
    workers: workers ?? 'default',
    compression,
  },
  figures,
);
process.exit(0);
