/**
 * The processor alone draining a backlog: BENCH_DRAIN_ORDERS orders are produced straight to a fresh
 * topic (as ingest would: key = order id, value = the order's JSON), then one processor starts and
 * applies them all. Reports the drain rate (first commit → last commit), the exactness (in Kafka =
 * processed = in Cassandra = counted + late, nothing dead-lettered) and CPU seconds per 1,000 orders
 * of the processor and of each service, from /proc deltas over the drain.
 *   npx tsx bench/drain.bench.ts        (with the services of `scripts/infra/all.sh env`)
 * Environment:
 *   BENCH_DRAIN_ORDERS=300000      size of the backlog
 *   BENCH_DRAIN_PARTITIONS=6       partitions of the topic
 *   BENCH_DRAIN_CPU_PROF=<dir>     write a V8 CPU profile of the processor there (node --cpu-prof)
 *   BENCH_NODE_ARGS="…"            more node flags of the processor, e.g. "--trace-gc"
 *   PROCESSOR_* / KAFKA_* / CASSANDRA_* settings are passed on to the processor.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Partitioners } from 'kafkajs';
import type { RowDataPacket } from 'mysql2';
import {
  cassandraSettings,
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  ensureTopics,
  kafkaSettings,
  loadConfig,
  mysqlSettings,
  processorNodeOptions,
} from '@salespipeline/shared';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { writeResult, type Figure } from './results.js';
import {
  benchNodeArgs,
  countRows,
  cpuSeconds,
  dropBenchStores,
  env,
  freePort,
  servicePids,
  startApp,
  waitReady,
} from './common.js';

const orders = env('BENCH_DRAIN_ORDERS', 300_000);
const partitions = env('BENCH_DRAIN_PARTITIONS', 6);
const profileDir = process.env.BENCH_DRAIN_CPU_PROF;
const id = Date.now().toString(36);
const topic = `bench_drain_${id}`;
const database = `sp_test_drain_${id}`;
const keyspace = `sp_drain_${id}`;
const logger = createLogger('bench', 'warn');
const config = loadConfig({ ...kafkaSettings, ...mysqlSettings, ...cassandraSettings });

const kafka = createKafka(config, logger);
await ensureTopics(kafka, topic, { partitions, retentionMs: 3600_000 });
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
const generator = new OrderGenerator(5, `dr${id}-`);
const chunk = 5000;
for (let sent = 0; sent < orders; sent += chunk) {
  const messages = Array.from({ length: Math.min(chunk, orders - sent) }, () => {
    const order = generator.next();
    return { key: order.order_id, value: JSON.stringify(order) };
  });
  await producer.send({ topic, acks: -1, messages });
}
await producer.disconnect();
process.stdout.write(`${orders} orders on ${topic}\n`);

const admin = createMysqlPool(config, { connectionLimit: 1 });
await admin.query(`CREATE DATABASE ${database}`);
await admin.end();
const mysqlUrl = config.mysqlUrl.replace(/\/[^/]+$/, `/${database}`);
const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 2 });
const count = async (sql: string) => Number((await pool.query<RowDataPacket[]>(sql))[0][0]!.n);

if (profileDir) mkdirSync(profileDir, { recursive: true });
const opsPort = await freePort();
const services = servicePids();
const cpuOf = (pids: Record<string, number>) =>
  Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
const services0 = cpuOf(services);
const started = Date.now();
const processor = startApp(
  'processor',
  [],
  {
    ORDERS_TOPIC: topic,
    MYSQL_URL: mysqlUrl,
    CASSANDRA_KEYSPACE: keyspace,
    PROCESSOR_OPS_PORT: String(opsPort),
    PROCESSOR_OPS_HOST: '127.0.0.1',
    PROCESSOR_GROUP_ID: `${topic}_group`,
  },
  [
    ...processorNodeOptions.split(' '),
    ...benchNodeArgs(),
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : []),
  ],
);
const exited = new Promise((r) => processor.once('exit', r));
await Promise.race([
  waitReady(`http://127.0.0.1:${opsPort}`, 180_000),
  exited.then(() => Promise.reject(new Error('the processor exited before it was ready'))),
]);

const deadline = Date.now() + 1800_000;
let processed = 0;
let lastReport = Date.now();
while ((processed = await count('SELECT COUNT(*) AS n FROM processed_orders')) < orders && Date.now() < deadline) {
  if (Date.now() - lastReport >= 10_000) {
    process.stdout.write(`t=${((Date.now() - started) / 1000).toFixed(0)}s processed=${processed}\n`);
    lastReport = Date.now();
  }
  await new Promise((r) => setTimeout(r, 500));
}
const processorCpu = cpuSeconds(processor.pid!);
const servicesCpu = cpuOf(services);
const wall = (Date.now() - started) / 1000;
const cpu: Record<string, number> = { processor: processorCpu };
for (const [k, v] of Object.entries(servicesCpu)) cpu[k] = v - services0[k]!;
process.stdout.write(
  `CPU seconds: ${JSON.stringify(Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Number(v.toFixed(1))])))}\n`,
);
processor.kill('SIGTERM');

const [[span]] = await pool.query<RowDataPacket[][]>(
  'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(processed_at), MAX(processed_at)) / 1e6 AS s FROM processed_orders',
);
const counted = await count("SELECT COALESCE(SUM(orders), 0) AS n FROM sales_by_minute WHERE dim = 'total'");
const late = await count('SELECT COUNT(*) AS n FROM processed_orders WHERE late = 1');
const kadmin = kafka.admin();
await kadmin.connect();
const sum = async (t: string) => (await kadmin.fetchTopicOffsets(t)).reduce((s, o) => s + Number(o.high), 0);
const inKafka = await sum(topic);
const dead = await sum(`${topic}.dlq`);
const cassandra = createCassandraClient(config);
const stored = await countRows(cassandra, `${keyspace}.orders_by_id`, 'order_id');
const exact =
  inKafka === orders && processed === orders && stored === orders && counted + late === orders && dead === 0;
process.stdout.write(
  `exactness: produced=${orders} kafka=${inKafka} processed=${processed} cassandra=${stored} counted=${counted} late=${late} dlq=${dead} → ${exact ? 'EXACT' : 'MISMATCH'}\n`,
);

const spanSeconds = Number((span as RowDataPacket).s);
const figures: Record<string, Figure> = {
  backlog: { value: orders, unit: 'orders' },
  drain_per_s: {
    value: Math.round(orders / spanSeconds),
    unit: 'orders/s (first commit → last commit)',
    target: '≥ 20000',
  },
  drain_wall_s: { value: wall, unit: 's (processor start → all committed)' },
  exact: { value: exact ? 1 : 0, unit: '1 = in Kafka = processed = in Cassandra = counted + late, none dead-lettered' },
};
let total = 0;
for (const [name, s] of Object.entries(cpu)) {
  total += s;
  figures[`cpu_${name}_per_1000`] = { value: (s / orders) * 1000, unit: 'CPU s / 1000 orders' };
}
figures.cpu_total_per_1000 = { value: (total / orders) * 1000, unit: 'CPU s / 1000 orders (processor + services)' };

await exited;
await dropBenchStores({ pool, database, cassandra, keyspace, kafkaAdmin: kadmin, topic });
writeResult('drain', { orders, partitions, services: 'all on this machine' }, figures);
process.exit(exact ? 0 : 1);
