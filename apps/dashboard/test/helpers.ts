/** Fixtures of the dashboard's integration tests: a private MySQL database and keyspace, real sinks, real servers. */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type cassandra from 'cassandra-driver';
import type mysql from 'mysql2/promise';
import {
  createCassandraClient,
  createLogger,
  createMysqlPool,
  createRegistry,
  listen,
  loadConfig,
  type AcceptedOrder,
} from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';
import { aggregate, minuteOf } from '../../processor/src/aggregate.js';
import { CassandraSink } from '../../processor/src/cassandra-sink.js';
import { migrateCassandra, migrateMysql } from '../../processor/src/migrate.js';
import { MysqlSink } from '../../processor/src/mysql-sink.js';
import { processorSpec } from '../../processor/src/config.js';
import { startProcessor, type RunningProcessor } from '../../processor/src/processor.js';
import { createDashboardApp, type DashboardApp } from '../src/app.js';
import { dashboardSpec } from '../src/config.js';

const quiet = () => createLogger('dashboard-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface Stores {
  database: string;
  keyspace: string;
  mysqlUrl: string;
  pool: mysql.Pool;
  cassandra: cassandra.Client;
  /** Environment of an app pointed at these stores. */
  env: Record<string, string>;
  /** Stores orders exactly as the processor does (raw to Cassandra, aggregates + offset to MySQL). */
  seed: (orders: AcceptedOrder[]) => Promise<void>;
  cleanup: () => Promise<void>;
}

export async function createStores(prefix: string): Promise<Stores> {
  const infra = testInfra();
  const database = uniqueName(`sp_test_${prefix}`);
  const keyspace = uniqueName(`sp_${prefix}`);
  const admin = createMysqlPool(infra, { connectionLimit: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(infra.mysqlUrl);
  url.pathname = `/${database}`;
  const mysqlUrl = url.toString();
  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 4 });
  const client = createCassandraClient(infra);
  await migrateMysql(pool, quiet());
  await migrateCassandra(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }, quiet());
  const mysqlSink = new MysqlSink(pool, 15_000);
  const cassandraSink = new CassandraSink(client, keyspace, { concurrency: 8, hourBatchRows: 50 });
  let offset = 0n;
  return {
    database,
    keyspace,
    mysqlUrl,
    pool,
    cassandra: client,
    env: {
      MYSQL_URL: mysqlUrl,
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_KEYSPACE: keyspace,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    },
    seed: async (orders) => {
      const acceptedAt = Date.now();
      await cassandraSink.write(
        orders.map((order, i) => ({ order, acceptedAt, partition: 0, offset: String(offset + BigInt(i)) })),
      );
      const open = await mysqlSink.begin('seed', 0);
      const processed = orders.map((o, i) => ({
        orderId: o.order_id,
        partition: 0,
        offset: String(offset + BigInt(i)),
        minute: minuteOf(o.created_at),
        late: false,
        acceptedAt,
      }));
      offset += BigInt(orders.length);
      await open.commit(processed, aggregate(orders), { nextOffset: offset, fingerprint: 'seed', skipped: 0n });
    },
    cleanup: async () => {
      await pool.query(`DROP DATABASE IF EXISTS ${database}`);
      await pool.end();
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await client.shutdown();
    },
  };
}

/** The real processor in-process, consuming the topic into these stores. */
export function startStoresProcessor(stores: Stores, topic: string): Promise<RunningProcessor> {
  return startProcessor(
    loadConfig(processorSpec, {
      ...stores.env,
      ORDERS_TOPIC: topic,
      PROCESSOR_GROUP_ID: `${topic}_group`,
      PROCESSOR_OPS_PORT: '0',
      PROCESSOR_OPS_HOST: '127.0.0.1',
    }),
    { logger: createLogger('processor', 'warn') },
  );
}

export interface RunningDashboard extends DashboardApp {
  url: string;
  server: Server;
  registry: ReturnType<typeof createRegistry>;
  stop: () => Promise<void>;
}

export async function startDashboard(env: Record<string, string>): Promise<RunningDashboard> {
  const config = loadConfig(dashboardSpec, { DASHBOARD_PORT: '0', DASHBOARD_HOST: '127.0.0.1', ...env });
  const registry = createRegistry('dashboard');
  const dashboard = createDashboardApp(config, { registry, logger: quiet() });
  const server = await listen(createHttpServer(dashboard.app), 0, '127.0.0.1');
  return {
    ...dashboard,
    registry,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      dashboard.live.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await dashboard.close();
    },
  };
}

/** An order with fixed lines; grand_total is the exact sum of the lines. */
export function order(
  id: string,
  at: number,
  opts: {
    status?: AcceptedOrder['status'];
    payment?: string;
    lines?: Array<{ sku: string; category: string; price: number; qty: number; discount?: number }>;
  } = {},
): AcceptedOrder {
  const lines = opts.lines ?? [{ sku: 'SKU-A', category: 'Books', price: 10, qty: 1 }];
  const items = lines.map((l, i) => ({
    item_id: `${id}-${i}`,
    sku: l.sku,
    category: l.category,
    price: l.price,
    qty_ordered: l.qty,
    discount_amount: l.discount ?? 0,
  }));
  const cents = items.reduce(
    (s, i) => s + Math.round(i.price * 100) * i.qty_ordered - Math.round(i.discount_amount * 100),
    0,
  );
  return {
    order_id: id,
    created_at: new Date(at).toISOString(),
    status: opts.status ?? 'complete',
    customer_id: 'c1',
    payment_method: opts.payment ?? 'cod',
    currency: 'USD',
    items,
    grand_total: cents / 100,
  };
}

/** Reads an SSE stream and collects its events. */
export class SseReader {
  readonly events: Array<{ event: string; data: unknown; at: number }> = [];
  private readonly controller = new AbortController();
  private done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      const res = await fetch(url, { signal: this.controller.signal, headers: { accept: 'text/event-stream' } });
      if (!res.ok || !res.body) throw new Error(`SSE ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
        }
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });
  }

  of<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data as T);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }
}

/** Sum of a metric's samples on a /metrics page whose labels include `labels`. */
export async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const rest = line.slice(name.length);
    if (!line.startsWith(name) || !(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** The Debian Chromium, launched by playwright-core (no browser is ever downloaded). */
export const chromiumOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export const artifactsDir = new URL('../../../test-artifacts/', import.meta.url).pathname;
