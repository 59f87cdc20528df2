/**
 * Fault suite: while load runs through ingest → Kafka → processor → Cassandra + MySQL,
 * in sequence: kill -9 the processor (restarted at once); restart Kafka; stop MariaDB for
 * FAULTS_OUTAGE_SECONDS; stop Cassandra as long; kill -9 the ingest API (restarted at once); hang
 * (a proxy that stops forwarding without closing) Cassandra, MySQL, then Kafka for one processor as
 * long; lose Kafka's produce responses to a second ingest API under load as long; make a zombie (a
 * processor whose session expires while its batch waits on a hung Cassandra, then commits); delete and
 * create the orders topic again (a teardown with deletionPolicy Retain, then an install). The largest
 * valid orders, with non-UTC offsets, are mixed into the load throughout. Then every order that got a
 * 202 must be in Cassandra once and counted once in every MySQL aggregate.
 *
 * Private instances only (never the shared services): Kafka, Cassandra and MariaDB are started by
 * scripts/infra/<svc>.sh with SALESPIPELINE_STATE=<tmpdir> and free SP_*_PORTs, and stopped at the end.
 * The apps run as child processes (node apps/<app>/dist/main.js; logs in the state dir), except those
 * that reach a service through a proxy (kafkajs needs a socket factory for it): a second processor in
 * the same group (the one that hangs), the zombie and the ingest that loses responses run in-process.
 * The load is generated in this process (the loadgen's library) so each order's fate is known.
 *
 *   npx tsx bench/faults.bench.ts   (FAULTS_OUTAGE_SECONDS default 30, FAULTS_RATE orders/s default 300)
 *
 * Figures per fault: 5xx answered and connection failures from its start until recovered; recovery
 * time from the service back (or the process restarted) until ingest accepts again and the processor
 * has caught up (the offsets stored with the aggregates reach the topic's end when the service came back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { RowDataPacket } from 'mysql2';
import {
  createCassandraClient,
  createLogger,
  createMysqlPool,
  ensureTopics,
  loadConfig,
  type AcceptedOrder,
} from '@salespipeline/shared';
import {
  largestOrder,
  NON_UTC_OFFSETS,
  ProduceResponseDropper,
  kafkaVia,
  TcpProxy,
  withOffset,
} from '@salespipeline/shared/testing';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { runLoad, type LoadReport, type LoadResult, type LoadTotals } from '../apps/loadgen/src/sender.js';
import { startIngest } from '@salespipeline/ingest/testing';
import {
  offsetRowLockWaits,
  processorSpec,
  startProcessor,
  type RunningProcessor,
} from '@salespipeline/processor/testing';
import {
  countByHour,
  expectedAggregates,
  metricValue,
  readAggregates,
  readRawOrders,
} from '@salespipeline/shared/testing';
import { writeResult, type Figure } from './results.js';
import { env, freePort, repo } from './common.js';

const outageSeconds = env('FAULTS_OUTAGE_SECONDS', 30);
const rate = env('FAULTS_RATE', 300);
const settleSeconds = env('FAULTS_SETTLE_SECONDS', 10);
const recoveryTimeoutMs = 300_000;
const log = (msg: string) => process.stdout.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
// --- private services -------------------------------------------------------------------------
const state = mkdtempSync('/tmp/spf-'); // short: the MariaDB socket path must stay < 100 bytes
const ports = {
  SP_KAFKA_PORT: await freePort(),
  SP_KAFKA_CONTROLLER_PORT: await freePort(),
  SP_KAFKA_NODE_PORT: await freePort(),
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

const processorOpsUrl = `http://127.0.0.1:${opsPort}`;
const processorConfig = (extra: Record<string, string> = {}) =>
  loadConfig(processorSpec, { ...appEnv, PROCESSOR_OPS_PORT: '0', ...extra });

type Link = 'kafka' | 'cassandra' | 'mysql';
interface ProxiedProcessor {
  processor: RunningProcessor;
  proxies: Record<Link, TcpProxy>;
}
/** A processor in this process and in the group, reaching each service through a proxy of its own. */
async function startProxiedProcessor(name: string, extra: Record<string, string>): Promise<ProxiedProcessor> {
  const proxies: Record<Link, TcpProxy> = {
    kafka: new TcpProxy('127.0.0.1', ports.SP_KAFKA_PORT),
    cassandra: new TcpProxy('127.0.0.1', ports.SP_CASSANDRA_PORT),
    mysql: new TcpProxy('127.0.0.1', ports.SP_MYSQL_PORT),
  };
  for (const proxy of Object.values(proxies)) await proxy.start();
  const viaProxy = new URL(mysqlUrl);
  viaProxy.host = `127.0.0.1:${proxies.mysql.port}`;
  const processor = await startProcessor(
    processorConfig({
      CASSANDRA_CONTACT_POINTS: `127.0.0.1:${proxies.cassandra.port}`,
      MYSQL_URL: viaProxy.toString(),
      ...extra,
    }),
    { kafka: kafkaVia(proxies.kafka.port, 'processor-proxied'), logger: createLogger(name, 'fatal'), migrate: false },
  );
  return { processor, proxies };
}
async function stopProxied({ processor, proxies }: ProxiedProcessor): Promise<void> {
  for (const proxy of Object.values(proxies)) proxy.resume();
  await processor.stop();
  for (const proxy of Object.values(proxies)) await proxy.cut();
}
// The member whose links hang: a sink request gives up soon, so it keeps taking part in rebalances;
// a hung transaction locks at most one partition's offset row.
const hangingMemberSettings = {
  PROCESSOR_SINK_TIMEOUT_MS: '2000',
  PROCESSOR_RETRY_MAX_MS: '1000',
  KAFKA_SESSION_TIMEOUT_MS: '10000',
  PROCESSOR_PARTITIONS_CONCURRENCY: '1',
};
// The zombie's requests wait longer than its session lasts.
const zombieSettings = { KAFKA_SESSION_TIMEOUT_MS: '6000', PROCESSOR_SINK_TIMEOUT_MS: '120000' };

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
const inProcess = new Set<ProxiedProcessor>();
async function cleanup(): Promise<void> {
  for (const child of [ingest, processor]) child?.kill('SIGTERM');
  await Promise.all([ingest, processor].map((c) => (c ? exited(c) : undefined)));
  await Promise.allSettled([...inProcess].map(stopProxied));
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

  /** The child processor and the in-process member that hangs, in one group. */
  const startProcessors = async () => {
    processor = app('processor');
    const member = await startProxiedProcessor('member', hangingMemberSettings);
    inProcess.add(member);
    await until('processor ready', () => ready(processorOpsUrl), 120_000);
    return member;
  };
  const startIngestChild = async () => {
    ingest = app('ingest');
    await until('ingest listening', async () => {
      try {
        await fetch(`${ingestUrl}/healthz`);
        return true;
      } catch {
        return false;
      }
    });
  };
  let member = await startProcessors();
  await startIngestChild();
  await until('ingest ready', () => ready(ingestUrl), 120_000);

  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 2 });
  const processedCount = async () =>
    Number((await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_orders'))[0][0]!.n);
  const benchKafka = new Kafka({
    clientId: 'faults-bench',
    brokers: [appEnv.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  });
  /** Per partition, the end of the orders topic now. */
  const topicEnds = async () => {
    const admin = benchKafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    } finally {
      await admin.disconnect();
    }
  };
  /** Messages before `ends` the processors have not applied yet (the offsets stored with the aggregates). */
  const unapplied = async (ends: Map<number, bigint>) => {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT kafka_partition, CAST(next_offset AS CHAR) AS next_offset FROM stream_offsets WHERE topic = ?',
      [topic],
    );
    const applied = new Map(rows.map((r) => [Number(r.kafka_partition), BigInt(r.next_offset as string)]));
    let behind = 0n;
    for (const [partition, end] of ends) {
      const next = applied.get(partition) ?? 0n;
      if (end > next) behind += end - next;
    }
    return Number(behind);
  };

  /** Waits until processed_orders holds at least `n` orders and has not changed for 10 s. */
  const drained = async (n: number) => {
    let stableSince = Date.now();
    let last = -1;
    await until(
      'processor drained',
      async () => {
        const count = await processedCount();
        if (count !== last) {
          last = count;
          stableSince = Date.now();
        }
        return count >= n && Date.now() - stableSince > 10_000;
      },
      600_000,
    );
  };

  // --- load ---------------------------------------------------------------------------------------
  const prefix = `fx${Date.now().toString(36)}-`;
  const sent = new Map<string, AcceptedOrder>();
  // What each fault's own figures are counted from: the orders sent while it ran (until caught up),
  // and the event-time minutes of those orders (an aggregate counted twice names no order).
  let activeFault: string | undefined;
  const faultOf = new Map<string, string>();
  const faultsOfMinute = new Map<string, Set<string>>();
  const generator = new OrderGenerator(8, prefix);
  // The largest valid orders (grand_total 10^13), each at a non-UTC offset, one per 10 s at most: a
  // minute's sums in the verification (JS numbers of cents) stay exact below 2^53.
  const bigOrderEveryMs = 10_000;
  const bigOrders: string[] = [];
  let lastBigAt = 0;
  const nextOrder = (): AcceptedOrder => {
    const now = Date.now();
    let order: AcceptedOrder;
    if (now - lastBigAt >= bigOrderEveryMs) {
      lastBigAt = now;
      const offset = NON_UTC_OFFSETS[bigOrders.length % NON_UTC_OFFSETS.length]!;
      order = largestOrder(`${prefix}big-${bigOrders.length}`, withOffset(now, offset));
      bigOrders.push(order.order_id);
    } else {
      order = generator.next(now);
    }
    sent.set(order.order_id, order);
    if (activeFault) {
      faultOf.set(order.order_id, activeFault);
      const minute = totalKeyOf(order);
      faultsOfMinute.set(minute, (faultsOfMinute.get(minute) ?? new Set()).add(activeFault));
    }
    return order;
  };
  /** The key of the order's minute in the total aggregates (readAggregates). */
  function totalKeyOf(order: AcceptedOrder): string {
    const minute = Math.floor(new Date(order.created_at).getTime() / 60_000) * 60_000;
    return `total|${new Date(minute).toISOString()}|`;
  }
  const latest = new Map<string, LoadReport>();
  const loadResults: LoadResult[] = [];
  let lastAcceptedAt = 0;
  /** Load on one ingest API until `signal`; every load's figures add up in totals(). */
  const startLoad = (name: string, target: string, loadRate: number, concurrency: number, signal: AbortSignal) =>
    runLoad({
      target,
      rate: loadRate,
      durationSeconds: 0,
      batchSize: 1,
      concurrency,
      apiKey,
      signal,
      reportIntervalMs: 100,
      source: nextOrder,
      keepAcceptedIds: true,
      onReport: (r) => {
        if (r.accepted > (latest.get(name)?.accepted ?? 0)) lastAcceptedAt = Date.now();
        latest.set(name, r);
      },
    }).then((result) => {
      loadResults.push(result);
      return result;
    });
  const totals = () => {
    const sum = { accepted: 0, unavailable: 0, failed: 0, rejected: 0 };
    for (const r of latest.values()) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += r[k];
    return sum;
  };
  const abort = new AbortController();
  const load = startLoad('main', ingestUrl, rate, 32, abort.signal);

  interface Outcome {
    fault: string;
    answered_5xx: number;
    connection_failures: number;
    rejected_4xx: number;
    outage_seconds: number;
    ingest_accepting_after_s: number;
    processor_caught_up_after_s: number;
    backlog_at_back: number;
    figures: Record<string, Figure>;
  }
  const outcomes: Outcome[] = [];

  /**
   * Runs a fault: `inject` takes the service down and returns when it is back (or restarted), with
   * figures of its own if any.
   */
  async function fault(name: string, inject: () => Promise<Record<string, Figure> | void>): Promise<void> {
    log(`fault: ${name}`);
    activeFault = name;
    const before = totals();
    const t0 = Date.now();
    const figures = (await inject()) ?? {};
    const back = Date.now();
    let endsAtBack = new Map<number, bigint>();
    let backlogAtBack = 0;
    // (MySQL may still be coming back.)
    await until(`${name}: topic and offsets read`, async () => {
      endsAtBack = await topicEnds();
      backlogAtBack = await unapplied(endsAtBack);
      return true;
    });
    await until(`${name}: ingest accepting`, async () => lastAcceptedAt > back && (await ready(ingestUrl)));
    const ingestBack = Date.now();
    await until(`${name}: processor caught up`, async () => (await unapplied(endsAtBack)) === 0);
    const caughtUp = Date.now();
    activeFault = undefined;
    const after = totals();
    const outcome: Outcome = {
      fault: name,
      answered_5xx: after.unavailable - before.unavailable,
      connection_failures: after.failed - before.failed,
      rejected_4xx: after.rejected - before.rejected,
      outage_seconds: (back - t0) / 1000,
      ingest_accepting_after_s: (ingestBack - back) / 1000,
      processor_caught_up_after_s: (caughtUp - back) / 1000,
      backlog_at_back: backlogAtBack,
      figures,
    };
    outcomes.push(outcome);
    log(JSON.stringify(outcome));
    await sleep(settleSeconds * 1000);
  }

  const outage = () => sleep(outageSeconds * 1000);
  const metricSum = async (urls: string[], name: string) =>
    (await Promise.all(urls.map((url) => metricValue(url, name)))).reduce((a, b) => a + b, 0);

  /** Hangs one link of the in-process member for the outage, then lets it deliver again. */
  const hang = (link: Link) => async () => {
    member.proxies[link].hang();
    await outage();
    member.proxies[link].resume();
  };

  /** A second ingest API under load whose produce responses Kafka's proxy swallows for the outage. */
  const produceResponsesLost = async (): Promise<Record<string, Figure>> => {
    const dropper = new ProduceResponseDropper();
    const proxy = new TcpProxy('127.0.0.1', ports.SP_KAFKA_PORT, dropper.filters);
    const port = await proxy.start();
    const kafka = kafkaVia(port, 'ingest-lost-responses', { requestTimeout: 1000 });
    const second = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_API_KEYS: appEnv.INGEST_API_KEYS,
      INGEST_ACK_TIMEOUT_MS: '3000',
    });
    const stop = new AbortController();
    const sideLoad = startLoad('second ingest', second.url, Math.ceil(rate / 3), 8, stop.signal);
    const acceptedBySecond = () => latest.get('second ingest')?.accepted ?? 0;
    try {
      await until('second ingest accepting', async () => acceptedBySecond() > 0);
      dropper.dropping = true;
      await outage();
      dropper.dropping = false;
      const atEnd = acceptedBySecond();
      await until('second ingest accepting again', async () => acceptedBySecond() > atEnd);
    } finally {
      stop.abort();
      await sideLoad;
      await second.stop();
      await proxy.cut();
    }
    return { dropped_produce_responses: { value: dropper.dropped, unit: 'responses swallowed' } };
  };

  /**
   * A member whose Kafka link hangs while its batch waits on a hung Cassandra: its session expires, the
   * other members take its partitions, then its batch commits and theirs of the same offsets are fenced.
   */
  const zombie = async (): Promise<Record<string, Figure>> => {
    const z = await startProxiedProcessor('zombie', zombieSettings);
    inProcess.add(z);
    const members = [processorOpsUrl, member.processor.opsUrl, z.processor.opsUrl];
    const assigned = (urls: string[]) => metricSum(urls, 'processor_partitions_assigned');
    const fenced = () => metricSum(members, 'processor_messages_fenced_total');
    const processedByZombie = () => metricValue(z.processor.opsUrl, 'processor_orders_processed_total');
    try {
      await until('the zombie assigned partitions', async () => (await assigned([z.processor.opsUrl])) > 0);
      const fencedBefore = await fenced();
      const processedBefore = await processedByZombie();
      z.proxies.cassandra.hang();
      const consumed = await metricValue(z.processor.opsUrl, 'processor_messages_consumed_total');
      // Cassandra is written while the batch's transaction holds the partition's offset row. (Held
      // bytes alone prove nothing: the driver's events and heartbeats wait in the proxy too.)
      await until(
        'the zombie in the middle of a batch',
        async () =>
          (await metricValue(z.processor.opsUrl, 'processor_messages_consumed_total')) > consumed &&
          z.proxies.cassandra.heldBytes > 0,
      );
      z.proxies.kafka.hang();
      await until(
        "the zombie's partitions taken over",
        async () => (await assigned(members.slice(0, 2))) === Number(appEnv.TOPIC_PARTITIONS),
      );
      // An heir must reach the zombie's partition before the zombie commits, or it simply starts after
      // the zombie's offsets and has nothing to fence.
      await until("an heir waiting on the zombie's lock", () =>
        offsetRowLockWaits(pool, new URL(mysqlUrl).pathname.slice(1)),
      );
      z.proxies.cassandra.resume();
      await until("the zombie's batch committed", async () => (await processedByZombie()) > processedBefore);
      await until('the heirs fenced', async () => (await fenced()) > fencedBefore);
      z.proxies.kafka.resume();
      return { processor_messages_fenced_total: { value: (await fenced()) - fencedBefore, unit: 'messages fenced' } };
    } finally {
      inProcess.delete(z);
      await stopProxied(z);
    }
  };

  /** A teardown with deletionPolicy Retain and a new install: apps stopped, the topic created again. */
  const topicRecreated = async () => {
    ingest!.kill('SIGTERM');
    await exited(ingest!);
    await drained(totals().accepted);
    processor!.kill('SIGTERM');
    inProcess.delete(member);
    await Promise.all([exited(processor!), stopProxied(member)]);
    const admin = benchKafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
      await until('the topic deleted', async () => !(await admin.listTopics()).includes(topic));
    } finally {
      await admin.disconnect();
    }
    const plan = processorConfig();
    // The broker may still be removing the old log: creating it again succeeds once it is gone.
    await until(
      'the topic created again',
      async () =>
        (
          await ensureTopics(benchKafka, topic, {
            partitions: plan.topicPartitions,
            retentionMs: plan.topicRetentionMs,
          })
        ).length > 0,
    );
    member = await startProcessors();
    await startIngestChild();
  };

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
      await startIngestChild();
    });
    await fault(`Cassandra hangs ${outageSeconds} s for one processor`, hang('cassandra'));
    await fault(`MySQL hangs ${outageSeconds} s for one processor`, hang('mysql'));
    await fault(`Kafka hangs ${outageSeconds} s for one processor`, hang('kafka'));
    await fault(`produce responses lost ${outageSeconds} s (a second ingest)`, produceResponsesLost);
    await fault('zombie processor (session expired while its batch waited on Cassandra)', zombie);
    await fault('orders topic recreated (teardown with deletionPolicy Retain, install)', topicRecreated);
  } finally {
    abort.abort();
  }
  await load;
  const accepted = new Set(loadResults.flatMap((r) => r.acceptedIds));
  const loadTotals = loadResults.reduce<LoadTotals>(
    (sum, r) => {
      for (const k of Object.keys(sum) as Array<keyof LoadTotals>) sum[k] += r.totals[k];
      return sum;
    },
    { sent: 0, accepted: 0, rejected: 0, unavailable: 0, failed: 0, behind: 0, requests: 0 },
  );
  log(`load stopped: ${JSON.stringify(loadTotals)}; waiting for the processor to finish`);

  // --- verification -------------------------------------------------------------------------------
  await drained(accepted.size);
  const [[resets]] = await pool.query<RowDataPacket[]>('SELECT SUM(resets) AS n FROM stream_offsets');

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
  const doubleCountedInMinute = new Map<string, number>();
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
      doubleCountedInMinute.set(key, Math.max(0, a.orders - e.orders));
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
    orders_sent: { value: loadTotals.sent, unit: 'orders' },
    big_orders_sent: { value: bigOrders.length, unit: 'largest valid orders, non-UTC offsets' },
    big_orders_accepted: { value: bigOrders.filter((id) => accepted.has(id)).length, unit: 'orders (202)' },
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
    answered_5xx_total: { value: loadTotals.unavailable, unit: 'requests (503)' },
    connection_failures_total: { value: loadTotals.failed, unit: 'requests' },
    topic_resets: { value: Number(resets!.n), unit: 'partitions read again from a recreated topic' },
  };
  for (const o of outcomes) {
    const k = slug(o.fault.replace(/\(.*\)/, ''));
    figures[`${k}.answered_5xx`] = { value: o.answered_5xx, unit: 'requests' };
    figures[`${k}.connection_failures`] = { value: o.connection_failures, unit: 'requests' };
    figures[`${k}.outage`] = { value: o.outage_seconds, unit: 's (fault injected → service back)' };
    figures[`${k}.ingest_accepting_after`] = { value: o.ingest_accepting_after_s, unit: 's after back' };
    figures[`${k}.recovery`] = {
      value: o.processor_caught_up_after_s,
      unit: 's after back → processor applied all that was on the topic then',
    };
    figures[`${k}.backlog_at_back`] = { value: o.backlog_at_back, unit: 'messages on the topic, not yet applied' };
    for (const [name, figure] of Object.entries(o.figures)) figures[`${k}.${name}`] = figure;
    const ids = [...faultOf].filter(([, f]) => f === o.fault).map(([id]) => id);
    const minutes = [...faultsOfMinute].filter(([, faults]) => faults.has(o.fault)).map(([minute]) => minute);
    figures[`${k}.orders_accepted`] = { value: ids.filter((id) => accepted.has(id)).length, unit: 'orders (202)' };
    figures[`${k}.lost_orders`] = { value: ids.filter((id) => lost.has(id)).length, unit: 'of those', target: '0' };
    figures[`${k}.double_counted_orders`] = {
      value: minutes.reduce((sum, minute) => sum + (doubleCountedInMinute.get(minute) ?? 0), 0),
      unit: 'in the minutes of its orders',
      target: '0',
    };
  }
  writeResult(
    'faults',
    {
      rate,
      outageSeconds,
      settleSeconds,
      partitions: 6,
      services: 'private Kafka, Cassandra, MariaDB (scripts/infra, SALESPIPELINE_STATE=tmp)',
      apps: 'node apps/{ingest,processor}/dist/main.js; in-process: a proxied processor member, the zombie, a second ingest',
      bigOrderEveryMs,
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
