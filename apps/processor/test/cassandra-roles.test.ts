/**
 * Least privilege in Cassandra: `migrate` (as the superuser) creates the apps' roles; the processor
 * writes and reads with its own, the dashboard reads with its own and cannot write or change the
 * schema. Against a private Cassandra started with authentication (scripts/infra/cassandra.sh with
 * SP_CASSANDRA_AUTH=password, its own state and ports): the shared one runs without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import cassandraDriver, { type default as cassandra } from 'cassandra-driver';
import { createCassandraClient, createLogger, createMysqlPool, encodeOrder, loadConfig } from '@salespipeline/shared';
import { freePort, orderArbitrary, testInfra, uniqueName, waitFor } from '@salespipeline/shared/testing';
import { SalesReader } from '../../dashboard/src/queries.js';
import { datedOrder } from '../src/aggregate.js';
import { CassandraSink } from '../src/cassandra-sink.js';
import { storageSpec } from '../src/config.js';
import { migrateCassandra } from '../src/migrate.js';

jest.setTimeout(400_000);

const repo = new URL('../../../', import.meta.url).pathname;
const state = mkdtempSync(`${tmpdir()}/sp-cassandra-auth-`);
const keyspace = uniqueName('sp_roles');
/** `migrate` migrates MySQL too: a database of this test's own. */
const database = uniqueName('sp_test_roles');
const mysqlUrl = () => {
  const url = new URL(testInfra().mysqlUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
const mysqlAdmin = async (sql: string) => {
  const pool = createMysqlPool(testInfra(), { connectionLimit: 1 });
  try {
    await pool.query(sql);
  } finally {
    await pool.end();
  }
};
const processorRole = { name: 'test_processor', password: "p'w-processor-0123456789" };
const dashboardRole = { name: 'test_dashboard', password: 'pw-dashboard-0123456789' };
const logger = createLogger('test', 'warn');
let env: NodeJS.ProcessEnv;
let port: number;
const clients: cassandra.Client[] = [];

const cassandraSh = (command: string) => {
  const r = spawnSync('bash', [`${repo}scripts/infra/cassandra.sh`, command], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cassandra.sh ${command} failed: ${r.stderr.slice(-3000)}`);
};
const client = (username: string, password: string) => {
  const c = createCassandraClient({
    cassandraContactPoints: [`127.0.0.1:${port}`],
    cassandraLocalDc: 'datacenter1',
    cassandraUsername: username,
    cassandraPassword: password,
  });
  clients.push(c);
  return c;
};
/** The processor's `migrate` command, as the operator's init container runs it (superuser). */
const migrate = (extra: Record<string, string> = {}) => {
  const r = spawnSync('node', [`${repo}apps/processor/dist/main.js`, 'migrate'], {
    env: {
      ...env,
      CASSANDRA_CONTACT_POINTS: `127.0.0.1:${port}`,
      CASSANDRA_USERNAME: 'cassandra',
      CASSANDRA_PASSWORD: 'cassandra',
      CASSANDRA_KEYSPACE: keyspace,
      MYSQL_URL: mysqlUrl(),
      CASSANDRA_PROCESSOR_ROLE: processorRole.name,
      CASSANDRA_PROCESSOR_ROLE_PASSWORD: processorRole.password,
      CASSANDRA_DASHBOARD_ROLE: dashboardRole.name,
      CASSANDRA_DASHBOARD_ROLE_PASSWORD: dashboardRole.password,
      LOG_LEVEL: 'warn',
      ...extra,
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`migrate failed: ${r.stderr.slice(-3000)}`);
  return r;
};
/** Cassandra's answer to an operation the role lacks the permission for (error code Unauthorized). */
const unauthorized = async (attempt: Promise<unknown>) =>
  expect(
    await attempt.then(
      () => 'allowed',
      (err: { code?: number }) => err.code,
    ),
  ).toBe(cassandraDriver.types.responseErrorCodes.unauthorized);

beforeAll(async () => {
  port = await freePort();
  env = {
    ...process.env,
    SALESPIPELINE_STATE: state,
    SP_CASSANDRA_AUTH: 'password',
    SP_CASSANDRA_PORT: String(port),
    SP_CASSANDRA_STORAGE_PORT: String(await freePort()),
    SP_CASSANDRA_JMX_PORT: String(await freePort()),
    SP_CASSANDRA_HEAP_OPTS: '-Xms256m -Xmx512m',
    SP_CASSANDRA_START_TIMEOUT: '300',
  };
  await mysqlAdmin(`CREATE DATABASE ${database}`);
  cassandraSh('start');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.shutdown().catch(() => undefined)));
  try {
    await mysqlAdmin(`DROP DATABASE IF EXISTS ${database}`);
    cassandraSh('stop');
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

describe('Cassandra roles of the apps (authentication on)', () => {
  it('refuses anonymous and wrong logins', async () => {
    const anonymous = createCassandraClient({
      cassandraContactPoints: [`127.0.0.1:${port}`],
      cassandraLocalDc: 'datacenter1',
      cassandraUsername: undefined,
      cassandraPassword: undefined,
    });
    clients.push(anonymous);
    await expect(anonymous.connect()).rejects.toThrow();
    await expect(client('cassandra', 'wrong').connect()).rejects.toThrow();
  });

  it('migrate creates the roles; the processor writes with its own, the dashboard only reads', async () => {
    migrate();
    const processor = client(processorRole.name, processorRole.password);
    const dashboard = client(dashboardRole.name, dashboardRole.password);

    // The processor's start-up migration is a no-op under its role (it may not create anything).
    await migrateCassandra(processor, keyspace, loadConfig(storageSpec, {}).cassandraReplication, logger);
    const now = Date.now();
    // Distinct ids: the generator's short ids repeat often enough that 5 samples may share one.
    const [sample] = fc.sample(
      fc.uniqueArray(orderArbitrary({ idPrefix: 'roles-', minTime: now - 1800_000, maxTime: now }), {
        minLength: 5,
        maxLength: 5,
        selector: (o) => o.order_id,
      }),
      1,
    );
    const orders = sample!.map((order, i) => ({
      ...datedOrder(order),
      json: Buffer.from(encodeOrder(order).value),
      acceptedAt: now,
      partition: 0,
      offset: String(i),
    }));
    await new CassandraSink(processor, keyspace, { concurrency: 2, hourBatchRows: 10, idBatchRows: 3 }).write(orders);
    const count = async (c: cassandra.Client) =>
      (await c.execute(`SELECT order_id FROM ${keyspace}.orders_by_id`)).rowLength;
    expect(await count(processor)).toBe(orders.length);

    // The dashboard reads (its real query) ...
    expect(await count(dashboard)).toBe(orders.length);
    const latest = await new SalesReader(undefined as never, dashboard, keyspace).latestOrders(now + 60_000, 50, 2);
    expect(latest.map((o) => o.order_id).sort()).toEqual(orders.map((o) => o.order.order_id).sort());
    // ... and can neither write nor change the schema.
    await unauthorized(
      dashboard.execute(`INSERT INTO ${keyspace}.orders_by_id (order_id, status) VALUES ('forged', 'x')`),
    );
    await unauthorized(dashboard.execute(`TRUNCATE ${keyspace}.orders_by_id`));
    await unauthorized(dashboard.execute(`DROP TABLE ${keyspace}.orders_by_hour`));
    // The processor writes, but is no administrator either.
    await unauthorized(processor.execute(`DROP KEYSPACE ${keyspace}`));
    await unauthorized(processor.execute(`CREATE ROLE intruder WITH PASSWORD = 'x' AND LOGIN = true`));
    expect(await count(processor)).toBe(orders.length);
  });

  it('a re-run with new passwords rotates them', async () => {
    const rotated = 'pw-dashboard-rotated-0123456789';
    migrate({ CASSANDRA_DASHBOARD_ROLE_PASSWORD: rotated });
    await expect(client(dashboardRole.name, dashboardRole.password).connect()).rejects.toThrow();
    await waitFor(async () => (await client(dashboardRole.name, rotated).connect(), true), {
      what: 'login with the rotated password',
    });
  });
});
