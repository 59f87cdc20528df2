/**
 * One run of the whole pipeline on this machine, for the pipeline and cost-curve benchmarks: a fresh
 * topic, MySQL database and Cassandra keyspace; the ingest API and `processors` processors as
 * processes; the load generator in this process. Either a steady load (runSteady: `rate` orders/s for
 * `seconds`, then drained) or a backlog (runBacklog: `orders` accepted with no processor running,
 * then the processors started and timed while they drain it). Each ends with the exactness check
 * (accepted = in Kafka = processed = in Cassandra = counted) and the CPU seconds of every process.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { RowDataPacket } from 'mysql2';
import {
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  ensureTopics,
  processorNodeOptions,
} from '@salespipeline/shared';
import { testInfra } from '@salespipeline/shared/testing';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { runLoad, type LoadResult } from '../apps/loadgen/src/sender.js';
import { quantile } from './results.js';
import {
  countRows,
  dropBenchStores,
  env,
  freePort,
  servicePids,
  startApp,
  treeCpuSeconds,
  waitReady,
} from './common.js';

export interface PipelineOptions {
  partitions: number;
  batchSize: number;
  processors: number;
}

export interface PipelineRun {
  accepted: number;
  inKafka: number;
  processed: number;
  stored: number;
  counted: number;
  late: number;
  exact: boolean;
  /** Processed orders / (first accept → last commit), in orders/s. */
  endToEndPerSecond: number;
  freshnessP50: number;
  freshnessP99: number;
  /** CPU seconds by process (processor: all instances together; loadgen_bench: this process). */
  cpu: Record<string, number>;
  /** The orders `cpu` was spent on: offered while it was metered (steady, after the warm-up) or committed (backlog). */
  meteredOrders: number;
  load: LoadResult;
  /** Seconds from the end of the load (steady) or the processors' start (backlog) to the last commit. */
  drainSeconds: number;
}

const logger = createLogger('bench', 'warn');

/** The environment, topic, database and keyspace of one run, and its teardown. */
async function setUp(opts: PipelineOptions) {
  const infra = testInfra();
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const topic = `bench_pipe_${id}`;
  const database = `sp_test_bench_${id}`;
  const keyspace = `sp_bench_${id}`;
  const kafka = createKafka({ ...infra, kafkaClientId: 'bench' }, logger);
  await ensureTopics(kafka, topic, { partitions: opts.partitions, retentionMs: 3600_000 });
  const admin = createMysqlPool(infra, { connectionLimit: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const mysqlUrl = infra.mysqlUrl.replace(/\/[^/]*$/, `/${database}`);
  const common = { ORDERS_TOPIC: topic, MYSQL_URL: mysqlUrl, CASSANDRA_KEYSPACE: keyspace };
  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 2 });
  const cassandra = createCassandraClient(infra);
  const children: ChildProcess[] = [];
  return {
    id,
    topic,
    kafka,
    pool,
    keyspace,
    cassandra,
    common,
    children,
    /** One source of orders per run: every order id once, over every round of load. */
    generator: new OrderGenerator(3, `bp${id}-`),
    count: async (sql: string) => Number((await pool.query<RowDataPacket[]>(sql))[0][0]!.n),
    tearDown: async () => {
      await Promise.all(
        children.map((child) =>
          child.exitCode === null ? new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) : undefined,
        ),
      );
      const kafkaAdmin = kafka.admin();
      await kafkaAdmin.connect();
      await dropBenchStores({ pool, database, cassandra, keyspace, kafkaAdmin, topic });
    },
  };
}
type Run = Awaited<ReturnType<typeof setUp>>;

async function startIngest(run: Run): Promise<{ url: string; apiKey: string; pid: number }> {
  const port = await freePort();
  const opsPort = await freePort();
  const apiKey = randomBytes(24).toString('hex');
  const child = startApp('ingest', [], {
    ...run.common,
    INGEST_PORT: String(port),
    INGEST_HOST: '127.0.0.1',
    INGEST_OPS_PORT: String(opsPort),
    INGEST_OPS_HOST: '127.0.0.1',
    INGEST_API_KEYS: `bench:${apiKey}`,
    INGEST_RATE_LIMIT_PER_SECOND: '0',
  });
  run.children.push(child);
  const url = `http://127.0.0.1:${port}`;
  // The ops port is ready once every worker is (the API port as soon as one is).
  await waitReady(`http://127.0.0.1:${opsPort}`);
  return { url, apiKey, pid: child.pid! };
}

/** BENCH_PIPELINE_CPU_PROF=<dir>: each processor writes a V8 CPU profile there when it stops. */
function cpuProfileArgs(): string[] {
  const dir = process.env.BENCH_PIPELINE_CPU_PROF;
  if (!dir) return [];
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`];
}

/** Creates the schema once (as the Deployment's migrate init container), then starts the processors. */
async function startProcessors(run: Run, count: number): Promise<number[]> {
  const migrate = startApp('processor', ['migrate'], run.common);
  const code = await new Promise((resolve) => migrate.once('exit', resolve));
  if (code !== 0) throw new Error(`processor migrate exited with ${String(code)}`);
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const opsPort = await freePort();
      const child = startApp(
        'processor',
        [],
        {
          ...run.common,
          PROCESSOR_OPS_PORT: String(opsPort),
          PROCESSOR_OPS_HOST: '127.0.0.1',
          PROCESSOR_GROUP_ID: `${run.topic}_group`,
        },
        [...processorNodeOptions.split(' '), ...cpuProfileArgs()],
      );
      run.children.push(child);
      await waitReady(`http://127.0.0.1:${opsPort}`, 120_000);
      return child.pid!;
    }),
  );
  return started;
}

function load(run: Run, ingest: { url: string; apiKey: string }, rate: number, seconds: number, batchSize: number) {
  return runLoad({
    target: ingest.url,
    rate,
    durationSeconds: seconds,
    batchSize,
    concurrency: 16,
    apiKey: ingest.apiKey,
    source: () => run.generator.next(),
    reportIntervalMs: 10_000,
    onReport: (r) =>
      process.stdout.write(
        `  t=${r.elapsedSeconds.toFixed(0)}s accepted=${r.accepted} (${r.acceptedPerSecond.toFixed(0)}/s) unavailable=${r.unavailable} behind=${r.behind} p99=${r.p99Ms.toFixed(0)}ms\n`,
      ),
  });
}

/** Waits (bounded) until every accepted order is committed; returns the count committed. */
async function drain(run: Run, accepted: number, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let processed = 0;
  while ((processed = await run.count('SELECT COUNT(*) AS n FROM processed_orders')) < accepted) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return processed;
}

class CpuMeter {
  private readonly start: Record<string, number>;
  private readonly self = process.cpuUsage();

  constructor(private readonly pids: Record<string, number[]>) {
    this.start = this.now();
  }

  private now(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pids]) => [name, pids.reduce((s, pid) => s + treeCpuSeconds(pid), 0)]),
    );
  }

  used(): Record<string, number> {
    const now = this.now();
    const self = process.cpuUsage(this.self);
    return {
      ...Object.fromEntries(Object.entries(now).map(([name, s]) => [name, s - this.start[name]!])),
      loadgen_bench: (self.user + self.system) / 1e6,
    };
  }
}

const servicePidLists = () => Object.fromEntries(Object.entries(servicePids()).map(([k, pid]) => [k, [pid]]));

/** Exactness and freshness of what the run committed. */
async function check(
  run: Run,
  load: LoadResult,
  processed: number,
  cpu: Record<string, number>,
  meteredOrders: number,
  drainSeconds: number,
) {
  const accepted = load.totals.accepted;
  const [[span]] = await run.pool.query<RowDataPacket[][]>(
    'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(accepted_at), MAX(processed_at)) / 1e6 AS s FROM processed_orders',
  );
  const [fresh] = await run.pool.query<RowDataPacket[]>(
    'SELECT TIMESTAMPDIFF(MICROSECOND, accepted_at, processed_at) / 1000 AS ms FROM processed_orders',
  );
  const freshness = fresh.map((r) => Number(r.ms));
  const counted = await run.count("SELECT COALESCE(SUM(orders), 0) AS n FROM sales_by_minute WHERE dim = 'total'");
  const late = await run.count('SELECT COUNT(*) AS n FROM processed_orders WHERE late = 1');
  const kadmin = run.kafka.admin();
  await kadmin.connect();
  const inKafka = (await kadmin.fetchTopicOffsets(run.topic)).reduce((s, o) => s + Number(o.high), 0);
  await kadmin.disconnect();
  const stored = await countRows(run.cassandra, `${run.keyspace}.orders_by_id`, 'order_id');
  const exact = accepted === inKafka && accepted === processed && accepted === stored && accepted === counted + late;
  process.stdout.write(
    `  exactness: accepted=${accepted} kafka=${inKafka} processed=${processed} cassandra=${stored} counted=${counted} late=${late} → ${exact ? 'EXACT' : 'MISMATCH'}\n`,
  );
  return {
    accepted,
    inKafka,
    processed,
    stored,
    counted,
    late,
    exact,
    endToEndPerSecond: Math.round(processed / Number((span as RowDataPacket).s)),
    freshnessP50: quantile(freshness, 0.5),
    freshnessP99: quantile(freshness, 0.99),
    cpu,
    meteredOrders,
    load,
    drainSeconds,
  };
}

/** BENCH_PIPELINE_WARMUP: seconds of load of a steady run before its CPU is metered (20). */
export const warmupSeconds = env('BENCH_PIPELINE_WARMUP', 20);

/**
 * `rate` orders/s for `warmupSeconds` and then `seconds` through ingest while the processors run, then
 * drained. CPU is metered from the end of the warm-up: a steady state, without the JIT compilation
 * and connection set-up of processes just started. Exactness and freshness cover every order.
 */
export async function runSteady(opts: PipelineOptions & { rate: number; seconds: number }): Promise<PipelineRun> {
  const run = await setUp(opts);
  try {
    const processors = await startProcessors(run, opts.processors);
    const ingest = await startIngest(run);
    const warmup = warmupSeconds > 0 ? await load(run, ingest, opts.rate, warmupSeconds, opts.batchSize) : undefined;
    const meter = new CpuMeter({ ingest: [ingest.pid], processor: processors, ...servicePidLists() });
    const metered = await load(run, ingest, opts.rate, opts.seconds, opts.batchSize);
    const loaded = Date.now();
    const result = warmup ? combineLoads(warmup, metered) : metered;
    const processed = await drain(run, result.totals.accepted);
    const drainSeconds = (Date.now() - loaded) / 1000;
    return await check(run, result, processed, meter.used(), metered.totals.accepted, drainSeconds);
  } finally {
    await run.tearDown();
  }
}

/** Two load runs one after the other, as one. */
function combineLoads(first: LoadResult, second: LoadResult): LoadResult {
  return {
    totals: Object.fromEntries(
      Object.entries(first.totals).map(([k, v]) => [k, v + second.totals[k as keyof LoadResult['totals']]]),
    ) as LoadResult['totals'],
    latencies: [...first.latencies, ...second.latencies],
    elapsedSeconds: first.elapsedSeconds + second.elapsedSeconds,
    acceptedIds: [...first.acceptedIds, ...second.acceptedIds],
  };
}

/**
 * `orders` accepted (offered at `rate`) with no processor running, then `processors` started and
 * timed while they drain the backlog. CPU is metered from when every processor is ready, per order
 * committed after that.
 */
export async function runBacklog(
  opts: PipelineOptions & { orders: number; rate: number },
): Promise<PipelineRun & { backlogPerSecond: number }> {
  const run = await setUp(opts);
  try {
    const ingest = await startIngest(run);
    // Offered in rounds until the backlog is whole (a busy machine falls behind the rate).
    let result = await load(run, ingest, opts.rate, Math.ceil(opts.orders / opts.rate), opts.batchSize);
    while (result.totals.accepted < opts.orders) {
      const more = await load(
        run,
        ingest,
        opts.rate,
        Math.ceil((opts.orders - result.totals.accepted) / opts.rate),
        opts.batchSize,
      );
      result = combineLoads(result, more);
    }
    const started = Date.now();
    const processors = await startProcessors(run, opts.processors);
    // Metered from when every processor is ready: the first ones drain meanwhile, so the orders
    // committed by then are not the metered ones (their CPU was spent before).
    const meter = new CpuMeter({ processor: processors, ...servicePidLists() });
    const processedBefore = await run.count('SELECT COUNT(*) AS n FROM processed_orders');
    const processed = await drain(run, result.totals.accepted);
    const drainSeconds = (Date.now() - started) / 1000;
    const { loadgen_bench: _idle, ...cpu } = meter.used();
    const checked = await check(run, result, processed, cpu, processed - processedBefore, drainSeconds);
    // The drain rate: first to last commit (the processors' start-up and group join excluded).
    const [[span]] = await run.pool.query<RowDataPacket[][]>(
      'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(processed_at), MAX(processed_at)) / 1e6 AS s FROM processed_orders',
    );
    return { ...checked, backlogPerSecond: Math.round(processed / Number((span as RowDataPacket).s)) };
  } finally {
    await run.tearDown();
  }
}

/** CPU seconds per 1,000 orders of each process and of them all. */
export function cpuPer1000(run: PipelineRun): Record<string, number> {
  const per = Object.fromEntries(
    Object.entries(run.cpu).map(([name, s]) => [name, (s / Math.max(1, run.meteredOrders)) * 1000]),
  );
  return { ...per, all: Object.values(per).reduce((a, b) => a + b, 0) };
}
