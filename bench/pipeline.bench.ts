/**
 * End to end: load generator (in this process) → ingest API → Kafka → processor → Cassandra + MySQL,
 * every service on this machine. Sends BENCH_PIPELINE_RATE orders/s in batches for
 * BENCH_PIPELINE_SECONDS, waits for the processor to drain, then checks exactness
 * (accepted = in Kafka = stored raw = counted) and reports throughput, freshness and CPU per process.
 *   npx tsx bench/pipeline.bench.ts
 */
import { randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2';
import {
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  ensureTopics,
} from '@salespipeline/shared';
import { testInfra } from '@salespipeline/shared/testing';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { runLoad } from '../apps/loadgen/src/sender.js';
import { quantile, writeResult, type Figure } from './results.js';
import { cpuSeconds, env, freePort, servicePids, startApp, waitReady } from './common.js';

const seconds = env('BENCH_PIPELINE_SECONDS', 120);
const rate = env('BENCH_PIPELINE_RATE', 10_000);
const batchSize = env('BENCH_PIPELINE_BATCH', 100);
const partitions = env('BENCH_PIPELINE_PARTITIONS', 6);
const id = Date.now().toString(36);
const topic = `bench_pipe_${id}`;
const database = `sp_test_bench_${id}`;
const keyspace = `sp_bench_${id}`;
const logger = createLogger('bench', 'warn');

const infra = testInfra();
const kafka = createKafka({ ...infra, kafkaClientId: 'bench' }, logger);
await ensureTopics(kafka, topic, { partitions, retentionMs: 3600_000 });
const admin = createMysqlPool(infra, { connectionLimit: 1 });
await admin.query(`CREATE DATABASE ${database}`);
await admin.end();
const mysqlUrl = infra.mysqlUrl.replace(/\/salespipeline$/, `/${database}`);

const ingestPort = await freePort();
const opsPort = await freePort();
const common = { ORDERS_TOPIC: topic, MYSQL_URL: mysqlUrl, CASSANDRA_KEYSPACE: keyspace };
const processor = startApp('processor', [], {
  ...common,
  PROCESSOR_OPS_PORT: String(opsPort),
  PROCESSOR_OPS_HOST: '127.0.0.1',
  PROCESSOR_GROUP_ID: `${topic}_group`,
});
const apiKey = randomBytes(24).toString('hex');
const ingest = startApp('ingest', [], {
  ...common,
  INGEST_PORT: String(ingestPort),
  INGEST_HOST: '127.0.0.1',
  INGEST_OPS_PORT: '0',
  INGEST_API_KEYS: `bench:${apiKey}`,
});
await waitReady(`http://127.0.0.1:${ingestPort}`);
await waitReady(`http://127.0.0.1:${opsPort}`, 120_000);

const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 2 });
const count = async (sql: string) => Number((await pool.query<RowDataPacket[]>(sql))[0][0]!.n);

const services = servicePids();
const pids: Record<string, number> = { ingest: ingest.pid!, processor: processor.pid!, ...services };
const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
const self0 = process.cpuUsage();

const generator = new OrderGenerator(3, `bp${id}-`);
let lastProcessed = 0;
const poller = setInterval(() => {
  count('SELECT COUNT(*) AS n FROM processed_orders').then(
    (n) => (lastProcessed = n),
    () => undefined,
  );
}, 5000);
const started = Date.now();
const load = await runLoad({
  target: `http://127.0.0.1:${ingestPort}`,
  rate,
  durationSeconds: seconds,
  batchSize,
  concurrency: 16,
  apiKey,
  source: () => generator.next(),
  reportIntervalMs: 10_000,
  onReport: (r) =>
    process.stdout.write(
      `t=${r.elapsedSeconds.toFixed(0)}s accepted=${r.accepted} (${r.acceptedPerSecond.toFixed(0)}/s) unavailable=${r.unavailable} behind=${r.behind} p99=${r.p99Ms.toFixed(0)}ms processed=${lastProcessed}\n`,
    ),
});
clearInterval(poller);
const accepted = load.totals.accepted;
// Drain: wait until every accepted order is committed (bounded).
const drainDeadline = Date.now() + 600_000;
let processed = 0;
while (
  (processed = await count('SELECT COUNT(*) AS n FROM processed_orders')) < accepted &&
  Date.now() < drainDeadline
) {
  await new Promise((r) => setTimeout(r, 1000));
}
const drained = Date.now();
const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - cpu0[k]!]));
const self = process.cpuUsage(self0);
cpu.loadgen_bench = (self.user + self.system) / 1e6;

const [[span]] = await pool.query<RowDataPacket[][]>(
  'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(accepted_at), MAX(processed_at)) / 1e6 AS s FROM processed_orders',
);
const [fresh] = await pool.query<RowDataPacket[]>(
  'SELECT TIMESTAMPDIFF(MICROSECOND, accepted_at, processed_at) / 1000 AS ms FROM processed_orders',
);
const freshness = fresh.map((r) => Number(r.ms));
const counted = await count("SELECT COALESCE(SUM(orders), 0) AS n FROM sales_by_minute WHERE dim = 'total'");
const late = await count('SELECT COUNT(*) AS n FROM processed_orders WHERE late = 1');
const kadmin = kafka.admin();
await kadmin.connect();
const inKafka = (await kadmin.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high), 0);
const cassandra = createCassandraClient(infra);
const stored = Number(
  (await cassandra.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_id`, [], { readTimeout: 120_000 }))
    .first()
    .get('n'),
);

const exact = accepted === inKafka && accepted === processed && accepted === stored && accepted === counted + late;
process.stdout.write(
  `exactness: accepted=${accepted} kafka=${inKafka} processed=${processed} cassandra=${stored} counted=${counted} late=${late} → ${exact ? 'EXACT' : 'MISMATCH'}\n`,
);
const spanSeconds = Number((span as RowDataPacket).s);
const figures: Record<string, Figure> = {
  offered_rate: { value: rate, unit: 'orders/s' },
  accepted_orders: { value: accepted, unit: 'orders' },
  ingest_accepted_per_s: { value: Math.round(accepted / load.elapsedSeconds), unit: 'orders/s' },
  end_to_end_per_s: {
    value: Math.round(processed / spanSeconds),
    unit: 'orders/s (first accept → last commit)',
    target: '≥ 10000',
  },
  exact: { value: exact ? 1 : 0, unit: '1 = accepted = in Kafka = processed = in Cassandra = counted' },
  freshness_p50: { value: quantile(freshness, 0.5), unit: 'ms' },
  freshness_p99: { value: quantile(freshness, 0.99), unit: 'ms', target: '≤ 1000' },
  drain_after_load: { value: (drained - started) / 1000 - load.elapsedSeconds, unit: 's' },
  behind: { value: load.totals.behind, unit: 'orders the load generator could not send in time' },
  unavailable: { value: load.totals.unavailable, unit: 'orders answered 503' },
};
for (const [name, s] of Object.entries(cpu)) {
  figures[`cpu_${name}_per_1000`] = { value: (s / Math.max(1, processed)) * 1000, unit: 'CPU s / 1000 orders' };
}
process.stdout.write(
  `CPU seconds: ${JSON.stringify(Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Number(v.toFixed(1))])))}\n`,
);

processor.kill('SIGTERM');
ingest.kill('SIGTERM');
await pool.query(`DROP DATABASE ${database}`);
await pool.end();
await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
await cassandra.shutdown();
await kadmin.deleteTopics({ topics: [topic, `${topic}.dlq`, `${topic}.late`] });
await kadmin.disconnect();
writeResult('pipeline', { seconds, rate, batchSize, partitions, services: 'all on this machine' }, figures);
process.exit(exact ? 0 : 1);
