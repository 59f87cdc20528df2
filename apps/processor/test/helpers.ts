/** Test fixtures of the processor: a private topic, MySQL database and keyspace per test file. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type cassandra from 'cassandra-driver';
import { Kafka, Partitioners, logLevel, type IHeaders } from 'kafkajs';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import {
  centsOf,
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  decimalToCents,
  ensureTopics,
  loadConfig,
  type AcceptedOrder,
} from '@salespipeline/shared';
import { expect } from '@jest/globals';
import fc from 'fast-check';
import { orderArbitrary, testInfra, uniqueName, waitFor, type TcpProxy } from '@salespipeline/shared/testing';
import { processorSpec } from '../src/config.js';
import { migrateCassandra, migrateMysql } from '../src/migrate.js';
import type { ProcessorConfig } from '../src/processor.js';

export interface TestEnv {
  topic: string;
  database: string;
  keyspace: string;
  /** Environment of a processor pointed at this fixture. */
  env: Record<string, string>;
  config: (extra?: Record<string, string>) => ProcessorConfig;
  kafka: Kafka;
  pool: mysql.Pool;
  cassandra: cassandra.Client;
  cleanup: () => Promise<void>;
}

export async function createTestEnv(
  prefix: string,
  partitions = 3,
  topicConfig: { retentionMs?: number } = {},
): Promise<TestEnv> {
  const infra = testInfra();
  const topic = uniqueName(`${prefix}_orders`);
  const database = uniqueName(`sp_test_${prefix}`);
  const keyspace = uniqueName(`sp_${prefix}`);
  const kafka = createKafka(infra, createLogger('test', 'warn'));
  await ensureTopics(kafka, topic, { partitions, ...topicConfig });
  const admin = createMysqlPool(infra, { connectionLimit: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(infra.mysqlUrl);
  url.pathname = `/${database}`;
  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
    MYSQL_URL: url.toString(),
    ORDERS_TOPIC: topic,
    CASSANDRA_KEYSPACE: keyspace,
    PROCESSOR_GROUP_ID: `${topic}_group`,
    PROCESSOR_OPS_PORT: '0',
    PROCESSOR_OPS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const pool = createMysqlPool({ mysqlUrl: url.toString() }, { connectionLimit: 4 });
  const client = createCassandraClient(infra);
  const logger = createLogger('test', 'warn');
  await migrateMysql(pool, logger);
  await migrateCassandra(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }, logger);
  return {
    topic,
    database,
    keyspace,
    env,
    config: (extra = {}) => loadConfig(processorSpec, { ...env, ...extra }),
    kafka,
    pool,
    cassandra: client,
    cleanup: async () => {
      await pool.query(`DROP DATABASE IF EXISTS ${database}`);
      await pool.end();
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await client.shutdown();
      const kadmin = kafka.admin();
      await kadmin.connect();
      await kadmin.deleteTopics({ topics: [topic, `${topic}.dlq`, `${topic}.late`] }).catch(() => undefined);
      await kadmin.disconnect();
    },
  };
}

/** Writes orders to the topic the way the ingest API does (key = order_id, acks=all). */
export async function produceOrders(
  kafka: Kafka,
  topic: string,
  orders: Array<AcceptedOrder | string>,
  timestamp = Date.now(),
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const messages = orders.map((o) =>
      typeof o === 'string'
        ? { key: 'poison', value: o, timestamp: String(timestamp) }
        : { key: o.order_id, value: JSON.stringify(o), timestamp: String(timestamp) },
    );
    // Requests of at most 500 messages and 512 KiB (the broker takes record batches up to 1 MiB).
    while (messages.length > 0) {
      let bytes = 0;
      let n = 0;
      while (
        n < Math.min(500, messages.length) &&
        (n === 0 || bytes + Buffer.byteLength(messages[n]!.value) <= 512 * 1024)
      ) {
        bytes += Buffer.byteLength(messages[n]!.value);
        n += 1;
      }
      await producer.send({ topic, acks: -1, messages: messages.splice(0, n) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Totals {
  orders: number;
  items: number;
  revenue: number;
  discount: number;
}

/** The aggregates the test expects, computed from the orders directly (first version of each id). */
export function expectedAggregates(orders: AcceptedOrder[]): Map<string, Totals> {
  const firsts = new Map<string, AcceptedOrder>();
  for (const o of orders) if (!firsts.has(o.order_id)) firsts.set(o.order_id, o);
  const out = new Map<string, Totals>();
  const bump = (key: string, items: number, revenue: number, discount: number) => {
    const t = out.get(key) ?? { orders: 0, items: 0, revenue: 0, discount: 0 };
    out.set(key, {
      orders: t.orders + 1,
      items: t.items + items,
      revenue: t.revenue + revenue,
      discount: t.discount + discount,
    });
  };
  for (const o of firsts.values()) {
    const minute = new Date(Math.floor(new Date(o.created_at).getTime() / 60_000) * 60_000).toISOString();
    const items = o.items.reduce((s, i) => s + i.qty_ordered, 0);
    const discount = o.items.reduce((s, i) => s + centsOf(i.discount_amount), 0);
    const revenue = centsOf(o.grand_total);
    bump(`total|${minute}|`, items, revenue, discount);
    bump(`status|${minute}|${o.status}`, items, revenue, discount);
    bump(`payment_method|${minute}|${o.payment_method}`, items, revenue, discount);
    for (const dim of ['category', 'sku'] as const) {
      for (const value of new Set(o.items.map((i) => i[dim]))) {
        const lines = o.items.filter((i) => i[dim] === value);
        bump(
          `${dim}|${minute}|${value}`,
          lines.reduce((s, i) => s + i.qty_ordered, 0),
          lines.reduce((s, i) => s + centsOf(i.price) * i.qty_ordered - centsOf(i.discount_amount), 0),
          lines.reduce((s, i) => s + centsOf(i.discount_amount), 0),
        );
      }
    }
  }
  return out;
}

export async function readAggregates(pool: mysql.Pool): Promise<Map<string, Totals>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT dim, minute, dim_value, orders, items, CAST(revenue AS CHAR) AS revenue, CAST(discount AS CHAR) AS discount
     FROM sales_by_minute`,
  );
  return new Map(
    rows.map((r) => [
      `${r.dim}|${(r.minute as Date).toISOString()}|${r.dim_value}`,
      {
        orders: Number(r.orders),
        items: Number(r.items),
        revenue: decimalToCents(r.revenue as string),
        discount: decimalToCents(r.discount as string),
      },
    ]),
  );
}

export async function countProcessed(pool: mysql.Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_orders');
  return Number(rows[0]!.n);
}

export const waitForProcessed = (pool: mysql.Pool, n: number, timeoutMs = 60_000) =>
  waitFor(async () => (await countProcessed(pool)) >= n, { timeoutMs, what: `${n} processed orders` });

/** Raw orders back from Cassandra, in the order model's shape, by id. */
export async function readRawOrders(client: cassandra.Client, keyspace: string): Promise<Map<string, AcceptedOrder>> {
  const out = new Map<string, AcceptedOrder>();
  const money = (d: cassandra.types.BigDecimal) => decimalToCents(d.toString()) / 100;
  let pageState: string | undefined;
  do {
    const rs = await client.execute(`SELECT * FROM ${keyspace}.orders_by_id`, [], {
      prepare: true,
      fetchSize: 500,
      ...(pageState ? { pageState } : {}),
    });
    pageState = rs.pageState ?? undefined;
    for (const r of rs.rows) {
      out.set(r.get('order_id') as string, {
        order_id: r.get('order_id') as string,
        created_at: (r.get('created_at') as Date).toISOString(),
        status: r.get('status') as AcceptedOrder['status'],
        customer_id: r.get('customer_id') as string,
        payment_method: r.get('payment_method') as string,
        currency: r.get('currency') as string,
        items: (r.get('items') as Array<Record<string, unknown>>).map((i) => ({
          item_id: i.item_id as string,
          sku: i.sku as string,
          category: i.category as string,
          price: money(i.price as cassandra.types.BigDecimal),
          qty_ordered: i.qty_ordered as number,
          discount_amount: money(i.discount_amount as cassandra.types.BigDecimal),
        })),
        grand_total: money(r.get('grand_total') as cassandra.types.BigDecimal),
      });
    }
  } while (pageState);
  return out;
}

export async function countByHour(client: cassandra.Client, keyspace: string): Promise<number> {
  const rs = await client.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_hour`);
  return Number(rs.first().get('n'));
}

/** Normalises orders for comparison with what Cassandra returns (ms-precision UTC timestamps). */
export const normalise = (o: AcceptedOrder): AcceptedOrder => ({
  ...o,
  created_at: new Date(o.created_at).toISOString(),
});

/** The keys where two maps differ (at most `limit`), with both values: a readable, fast assertion. */
export function mapDiff<V>(actual: Map<string, V>, expected: Map<string, V>, limit = 5) {
  const out: Array<{ key: string; actual: V | undefined; expected: V | undefined }> = [];
  for (const key of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(key);
    const e = expected.get(key);
    if (canonical(a) !== canonical(e)) out.push({ key, actual: a, expected: e });
    if (out.length >= limit) break;
  }
  return out;
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );

export const hostPort = (s: string): [string, number] => {
  const [host, port] = s.split(':');
  return [host!, Number(port)];
};

/**
 * A kafkajs client whose every broker connection goes through `proxy` (the local cluster has one
 * broker; its advertised address would bypass a plain proxy).
 */
export function kafkaThrough(proxy: TcpProxy): Kafka {
  return new Kafka({
    clientId: 'processor-proxied',
    brokers: [`127.0.0.1:${proxy.port}`],
    logLevel: logLevel.NOTHING,
    socketFactory: ({ onConnect }) => connect(proxy.port, '127.0.0.1', onConnect),
  });
}

/** A processor metric from /metrics, summed over its labels (0 when absent). */
export async function metricValue(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.reduce((a, b) => a + b, 0);
}

export interface TopicMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Every message of a topic, once at least `n` arrived (a private consumer group). */
export async function readTopic(kafka: Kafka, topic: string, n: number): Promise<TopicMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('read') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: TopicMessage[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? ({} as IHeaders)).map(([k, v]) => [k, String(v)]),
      );
      seen.push({ key: String(message.key), value: String(message.value), headers });
    },
  });
  try {
    await waitFor(async () => seen.length >= n, { what: `${n} messages on ${topic}`, timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** How many messages a topic holds (the sum of its partitions' high watermarks). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

const appDir = new URL('..', import.meta.url).pathname;

/** Compiles the processor for child-process tests (a no-op when up to date). */
export function buildProcessor(): void {
  const build = spawnSync('npx', ['tsc', '-b', appDir], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the processor does not compile');
}

/**
 * The compiled processor as a child process, pointed at the fixture (after buildProcessor()). It
 * runs in a zone that is not UTC (America/St_Johns, -03:30) unless `extra` names another TZ.
 */
export function spawnProcessor(env: TestEnv, extra: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [`${appDir}dist/main.js`], {
    env: { ...process.env, TZ: 'America/St_Johns', ...env.env, ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** `n` valid orders with ids `<prefix>-<i>`, event times within the last `maxAgeMs`. */
export function recentOrders(prefix: string, n: number, maxAgeMs = 3600_000): AcceptedOrder[] {
  const now = Date.now();
  return fc
    .sample(orderArbitrary({ minTime: now - maxAgeMs, maxTime: now }), n)
    .map((o, i) => ({ ...o, order_id: `${prefix}-${i}` }));
}

/**
 * Waits until every distinct order of `produced` is counted, then asserts the aggregates and the
 * raw orders are exactly those of the first version of each id (`rawOnly`: orders stored raw but
 * not counted, e.g. dead-lettered after Cassandra took them).
 */
export async function expectExact(
  env: TestEnv,
  produced: AcceptedOrder[],
  { rawOnly = [] as AcceptedOrder[], timeoutMs = 120_000 } = {},
): Promise<void> {
  const firsts = new Map<string, AcceptedOrder>();
  for (const o of produced) if (!firsts.has(o.order_id)) firsts.set(o.order_id, normalise(o));
  await waitFor(async () => (await countProcessed(env.pool)) === firsts.size, {
    timeoutMs,
    what: `${firsts.size} orders processed`,
  });
  expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  for (const o of rawOnly) firsts.set(o.order_id, normalise(o));
  expect(mapDiff(await readRawOrders(env.cassandra, env.keyspace), firsts)).toEqual([]);
}
