/**
 * Fault suite (issue 8): while load runs through ingest → Kafka → processor → Cassandra + MySQL,
 * in sequence: kill -9 the processor (restarted at once); restart Kafka; stop MariaDB for
 * FAULTS_OUTAGE_SECONDS; stop Cassandra as long; kill -9 the ingest API (restarted at once). Then
 * every order that got a 202 must be in Cassandra once and counted once in every MySQL aggregate.
 *
 * Private instances only (never the shared services): Kafka, Cassandra and MariaDB are started by
 * scripts/infra/<svc>.sh with SALESPIPELINE_STATE=<tmpdir> and free SP_*_PORTs, and stopped at the end.
 * The apps run as child processes (node apps/<app>/dist/main.js; logs in the state dir); the load is
 * generated in this process (the loadgen's library) so each order's fate is known.
 *
 *   npx tsx bench/faults.bench.ts   (FAULTS_OUTAGE_SECONDS default 30, FAULTS_RATE orders/s default 300)
 *
 * Figures per fault: 5xx answered and connection failures from its start until recovered; recovery
 * time from the service back (or the process restarted) until ingest accepts again and the processor
 * has caught up (processed_orders ≥ orders accepted when the service came back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import type { RowDataPacket } from 'mysql2';
import { createCassandraClient, createMysqlPool, type AcceptedOrder } from '@salespipeline/shared';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { runLoad, type LoadReport } from '../apps/loadgen/src/sender.js';
import { countByHour, expectedAggregates, readAggregates, readRawOrders } from '../apps/processor/test/helpers.js';
import { writeResult, type Figure } from './results.js';
import { env, freePort, repo } from './common.js';

const outageSeconds = env('FAULTS_OUTAGE_SECONDS', 30);
const rate = env('FAULTS_RATE', 300);
const settleSeconds = env('FAULTS_SETTLE_SECONDS', 10);
const recoveryTimeoutMs = 300_000;
const log = (msg: string) => process.stdout.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- private services -------------------------------------------------------------------------
const state = mkdtempSync('/tmp/spf-'); // short: the MariaDB socket path must stay < 100 bytes
const ports = {
  SP_KAFKA_PORT: await freePort(),
  SP_KAFKA_CONTROLLER_PORT: await freePort(),
  SP_CASSANDRA_PORT: await freePort(),
  SP_CASSANDRA_STORAGE_PORT: await freePort(),
  SP_CASSANDRA_JMX_PORT: await freePort(),
  SP_MYSQL_PORT: await freePort(),
};
const svcEnv = {
  ...process.env,
  SALESPIPELINE_STATE: state,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
};
mkdirSync(`${state}/kafka`, { recursive: true });
writeFileSync(`${state}/kafka/cluster.id`, 'SpFaultsBenchCluster0Aa');

function svc(name: 'kafka' | 'cassandra' | 'mariadb', command: 'start' | 'stop'): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(`${state}/${name}-script.log`, 'a');
    const child = spawn('bash', [`${repo}scripts/infra/${name}.sh`, command], {
      env: svcEnv,
      stdio: ['ignore', out, out],
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${name}.sh ${command} exited ${code} (see ${state}/${name}-script.log)`)),
    );
  });
}

const topic = 'orders';
const keyspace = 'sp_faults';
const mysqlUrl = `mysql://salespipeline:salespipeline@127.0.0.1:${ports.SP_MYSQL_PORT}/salespipeline`;
const apiKey = randomBytes(24).toString('hex');
const ingestPort = await freePort();
const opsPort = await freePort();
const ingestUrl = `http://127.0.0.1:${ingestPort}`;
const appEnv = {
  KAFKA_BROKERS: `127.0.0.1:${ports.SP_KAFKA_PORT}`,
  CASSANDRA_CONTACT_POINTS: `127.0.0.1:${ports.SP_CASSANDRA_PORT}`,
  MYSQL_URL: mysqlUrl,
  ORDERS_TOPIC: topic,
  CASSANDRA_KEYSPACE: keyspace,
  TOPIC_PARTITIONS: '6',
  PROCESSOR_GROUP_ID: 'faults',
  PROCESSOR_OPS_PORT: String(opsPort),
  PROCESSOR_OPS_HOST: '127.0.0.1',
  INGEST_PORT: String(ingestPort),
  INGEST_HOST: '127.0.0.1',
  INGEST_OPS_PORT: '0',
  INGEST_API_KEYS: `bench:${apiKey}`,
  LOG_LEVEL: 'warn',
};

function app(name: 'ingest' | 'processor', args: string[] = []): ChildProcess {
  const out = openSync(`${state}/${name}.log`, 'a');
  return spawn(process.execPath, [`${repo}apps/${name}/dist/main.js`, ...args], {
    env: { ...process.env, ...appEnv },
    stdio: ['ignore', out, out],
  });
}
const runToEnd = (name: 'processor', args: string[]) =>
  new Promise<void>((resolve, reject) =>
    app(name, args).once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} ${args} exited ${code}`)),
    ),
  );
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = recoveryTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

let processor: ChildProcess | undefined;
let ingest: ChildProcess | undefined;
async function cleanup(): Promise<void> {
  for (const child of [ingest, processor]) child?.kill('SIGTERM');
  await Promise.all([ingest, processor].map((c) => (c ? exited(c) : undefined)));
  await Promise.allSettled([svc('kafka', 'stop'), svc('cassandra', 'stop'), svc('mariadb', 'stop')]);
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

log(`state ${state}; starting private Kafka, Cassandra, MariaDB`);
let failed = true;
try {
  await Promise.all([svc('kafka', 'start'), svc('cassandra', 'start'), svc('mariadb', 'start')]);
  log('services up; topics and migrations');
  await runToEnd('processor', ['topics']);
  await runToEnd('processor', ['migrate']);

  processor = app('processor');
  ingest = app('ingest');
  await until('ingest ready', () => ready(ingestUrl), 120_000);
  await until('processor ready', () => ready(`http://127.0.0.1:${opsPort}`), 120_000);

  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 2 });
  const processedCount = async () =>
    Number((await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_orders'))[0][0]!.n);

  // --- load ---------------------------------------------------------------------------------------
  const sent = new Map<string, AcceptedOrder>();
  const generator = new OrderGenerator(8, `fx${Date.now().toString(36)}-`);
  let latest: LoadReport | undefined;
  let lastAcceptedAt = 0;
  const abort = new AbortController();
  const load = runLoad({
    target: ingestUrl,
    rate,
    durationSeconds: 0,
    batchSize: 1,
    concurrency: 32,
    apiKey,
    signal: abort.signal,
    reportIntervalMs: 100,
    source: () => {
      const o = generator.next();
      sent.set(o.order_id, o);
      return o;
    },
    onReport: (r) => {
      if (latest && r.accepted > latest.accepted) lastAcceptedAt = Date.now();
      latest = r;
    },
  });
  const totals = () => ({
    accepted: latest?.accepted ?? 0,
    unavailable: latest?.unavailable ?? 0,
    failed: latest?.failed ?? 0,
    rejected: latest?.rejected ?? 0,
  });

  interface Outcome {
    fault: string;
    answered_5xx: number;
    connection_failures: number;
    rejected_4xx: number;
    outage_seconds: number;
    ingest_accepting_after_s: number;
    processor_caught_up_after_s: number;
    backlog_at_back: number;
  }
  const outcomes: Outcome[] = [];

  /** Runs a fault: `inject` takes the service down and returns when it is back (or restarted). */
  async function fault(name: string, inject: () => Promise<void>): Promise<void> {
    log(`fault: ${name}`);
    const before = totals();
    const t0 = Date.now();
    await inject();
    const back = Date.now();
    const acceptedAtBack = totals().accepted;
    let processedAtBack = -1;
    try {
      processedAtBack = await processedCount();
    } catch {
      // MySQL may still be coming back
    }
    await until(`${name}: ingest accepting`, async () => lastAcceptedAt > back && (await ready(ingestUrl)));
    const ingestBack = Date.now();
    await until(`${name}: processor caught up`, async () => (await processedCount()) >= acceptedAtBack);
    const caughtUp = Date.now();
    const after = totals();
    const outcome: Outcome = {
      fault: name,
      answered_5xx: after.unavailable - before.unavailable,
      connection_failures: after.failed - before.failed,
      rejected_4xx: after.rejected - before.rejected,
      outage_seconds: (back - t0) / 1000,
      ingest_accepting_after_s: (ingestBack - back) / 1000,
      processor_caught_up_after_s: (caughtUp - back) / 1000,
      backlog_at_back: processedAtBack < 0 ? acceptedAtBack : acceptedAtBack - processedAtBack,
    };
    outcomes.push(outcome);
    log(JSON.stringify(outcome));
    await sleep(settleSeconds * 1000);
  }

  await sleep(settleSeconds * 1000);
  try {
    await fault('processor kill -9 (restarted at once)', async () => {
      processor!.kill('SIGKILL');
      await exited(processor!);
      processor = app('processor');
    });
    await fault('Kafka restart', async () => {
      await svc('kafka', 'stop');
      await svc('kafka', 'start');
    });
    await fault(`MariaDB stopped ${outageSeconds} s`, async () => {
      await svc('mariadb', 'stop');
      await sleep(outageSeconds * 1000);
      await svc('mariadb', 'start');
    });
    await fault(`Cassandra stopped ${outageSeconds} s`, async () => {
      await svc('cassandra', 'stop');
      await sleep(outageSeconds * 1000);
      await svc('cassandra', 'start');
    });
    await fault('ingest kill -9 (restarted at once)', async () => {
      ingest!.kill('SIGKILL');
      await exited(ingest!);
      ingest = app('ingest');
      await until('ingest listening', async () => {
        try {
          await fetch(`${ingestUrl}/healthz`);
          return true;
        } catch {
          return false;
        }
      });
    });
  } finally {
    abort.abort();
  }
  const result = await load;
  const accepted = new Set(result.acceptedIds);
  log(`load stopped: ${JSON.stringify(result.totals)}; waiting for the processor to finish`);

  // --- verification -------------------------------------------------------------------------------
  let stableSince = Date.now();
  let last = -1;
  await until(
    'processor drained',
    async () => {
      const n = await processedCount();
      if (n !== last) {
        last = n;
        stableSince = Date.now();
      }
      return n >= accepted.size && Date.now() - stableSince > 10_000;
    },
    600_000,
  );

  const [processedRows] = await pool.query<RowDataPacket[]>('SELECT order_id FROM processed_orders');
  const processed = new Map<string, number>();
  for (const r of processedRows) processed.set(r.order_id as string, (processed.get(r.order_id as string) ?? 0) + 1);
  const cassandra = createCassandraClient({
    cassandraContactPoints: [`127.0.0.1:${ports.SP_CASSANDRA_PORT}`],
    cassandraLocalDc: 'datacenter1',
    cassandraUsername: undefined,
    cassandraPassword: undefined,
  });
  const raw = await readRawOrders(cassandra, keyspace);
  const rawCount = Number(
    (await cassandra.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_id`)).first().get('n'),
  );
  const byHour = await countByHour(cassandra, keyspace);

  const missingInCassandra = [...accepted].filter((id) => !raw.has(id));
  const missingInProcessed = [...accepted].filter((id) => !processed.has(id));
  const lost = new Set([...missingInCassandra, ...missingInProcessed]);
  const unknown = [...processed.keys()].filter((id) => !sent.has(id));
  // Orders that got no 2xx (503 / cut connection) may still have reached Kafka: they count once, too.
  const landedWithout2xx = [...processed.keys()].filter((id) => sent.has(id) && !accepted.has(id));
  const expected = expectedAggregates([...processed.keys()].filter((id) => sent.has(id)).map((id) => sent.get(id)!));
  const actual = await readAggregates(pool);
  let doubleCounted = 0;
  let underCounted = 0;
  let mismatchedAggregates = 0;
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(key) ?? { orders: 0, items: 0, revenue: 0, discount: 0 };
    const a = actual.get(key) ?? { orders: 0, items: 0, revenue: 0, discount: 0 };
    if (e.orders !== a.orders || e.items !== a.items || e.revenue !== a.revenue || e.discount !== a.discount) {
      mismatchedAggregates += 1;
    }
    if (key.startsWith('total|')) {
      doubleCounted += Math.max(0, a.orders - e.orders);
      underCounted += Math.max(0, e.orders - a.orders);
    }
  }
  const duplicateProcessed = [...processed.values()].filter((n) => n > 1).length;
  doubleCounted += duplicateProcessed;

  log(
    `accepted ${accepted.size}, in Cassandra ${raw.size} (count ${rawCount}, by hour ${byHour}), processed ${processed.size}, ` +
      `lost ${lost.size}, double-counted ${doubleCounted}, aggregate rows off ${mismatchedAggregates}, landed without 2xx ${landedWithout2xx.length}`,
  );

  await cassandra.shutdown();
  await pool.end();

  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
  const figures: Record<string, Figure> = {
    orders_sent: { value: result.totals.sent, unit: 'orders' },
    orders_accepted: { value: accepted.size, unit: 'orders (202)' },
    lost_orders: { value: lost.size, unit: 'accepted orders missing in Cassandra or processed_orders', target: '0' },
    double_counted_orders: { value: doubleCounted, unit: 'orders counted more than once', target: '0' },
    under_counted_orders: { value: underCounted, unit: 'orders missing from the total aggregates', target: '0' },
    mismatched_aggregate_rows: { value: mismatchedAggregates, unit: 'sales_by_minute rows ≠ recomputed', target: '0' },
    cassandra_orders_by_id: { value: rawCount, unit: 'rows' },
    cassandra_orders_by_hour: { value: byHour, unit: 'rows' },
    processed_orders: { value: processed.size, unit: 'rows' },
    landed_without_2xx: { value: landedWithout2xx.length, unit: 'orders answered 503/cut that still reached Kafka' },
    unknown_orders: { value: unknown.length, unit: 'processed ids never sent', target: '0' },
    answered_5xx_total: { value: result.totals.unavailable, unit: 'requests (503)' },
    connection_failures_total: { value: result.totals.failed, unit: 'requests' },
  };
  for (const o of outcomes) {
    const k = slug(o.fault.replace(/\(.*\)/, ''));
    figures[`${k}.answered_5xx`] = { value: o.answered_5xx, unit: 'requests' };
    figures[`${k}.connection_failures`] = { value: o.connection_failures, unit: 'requests' };
    figures[`${k}.outage`] = { value: o.outage_seconds, unit: 's (fault injected → service back)' };
    figures[`${k}.ingest_accepting_after`] = { value: o.ingest_accepting_after_s, unit: 's after back' };
    figures[`${k}.recovery`] = { value: o.processor_caught_up_after_s, unit: 's after back → processor caught up' };
    figures[`${k}.backlog_at_back`] = { value: o.backlog_at_back, unit: 'orders accepted, not yet processed' };
  }
  writeResult(
    'faults',
    {
      rate,
      outageSeconds,
      settleSeconds,
      partitions: 6,
      services: 'private Kafka, Cassandra, MariaDB (scripts/infra, SALESPIPELINE_STATE=tmp)',
      apps: 'node apps/{ingest,processor}/dist/main.js',
      faults: outcomes.map((o) => o.fault),
    },
    figures,
  );
  failed = lost.size > 0 || doubleCounted > 0 || mismatchedAggregates > 0 || unknown.length > 0;
  if (failed) log(`FAILED: lost ${[...lost].slice(0, 5).join(', ')}; logs kept in ${state}`);
} finally {
  await cleanup();
}
if (!failed) rmSync(state, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
