/**
 * No secret in any log line: the ingest API and the stream processor run as child processes (their
 * real main, at debug level) with known secrets — API keys, the MySQL password inside MYSQL_URL, a
 * Cassandra password — and are driven through valid and invalid requests, a wrong key, a Kafka
 * outage (an ingest whose broker is unreachable), an unreachable MySQL and a bad configuration.
 * Then every byte they wrote to stdout/stderr is searched for the secrets.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { RowDataPacket } from 'mysql2';
import { freePort, orderArbitrary, waitFor, waitReady } from '@salespipeline/shared/testing';
import { createTestEnv, type TestEnv } from '@salespipeline/processor/testing';
import { post } from './helpers.js';

jest.setTimeout(180_000);

const repo = new URL('../../../', import.meta.url).pathname;
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const apiKey = secret('apikeyA');
const otherKey = secret('apikeyB');
const wrongKey = `${apiKey.slice(0, -2)}zz`;
const mysqlPassword = secret('mysqlpw');
const cassandraPassword = secret('casspw');
const saslPassword = secret('saslpw');
const secrets = { apiKey, otherKey, wrongKey, mysqlPassword, cassandraPassword, saslPassword };

interface Child {
  name: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}
const children: Child[] = [];

function start(name: string, app: string, env: Record<string, string>, args: string[] = []): Child {
  const proc = spawn(process.execPath, [`${repo}apps/${app}/dist/main.js`, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (c: Buffer) => chunks.push(c));
  proc.stderr!.on('data', (c: Buffer) => chunks.push(c));
  // 'close', not 'exit': by then everything it wrote has been read.
  const exited = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
  const child = { name, proc, output: () => Buffer.concat(chunks).toString('utf8'), exited };
  children.push(child);
  return child;
}

const stop = async (child: Child) => {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
  await child.exited;
};

describe('no secret in any log line (ingest and processor as processes)', () => {
  let fixture: TestEnv;
  const user = `sp_logs_${randomBytes(4).toString('hex')}`;
  const mariadb = (sql: string) => {
    const r = spawnSync('bash', [`${repo}scripts/infra/mariadb.sh`, 'sql', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mariadb.sh sql failed: ${r.stderr}`);
  };

  beforeAll(async () => {
    const build = spawnSync('npx', ['tsc', '-b', `${repo}apps/ingest`, `${repo}apps/processor`], { stdio: 'inherit' });
    expect(build.status).toBe(0);
    fixture = await createTestEnv('logs', 1);
    // A MySQL user of this test with a password nobody else uses, so a leak cannot be missed.
    mariadb(
      `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${mysqlPassword}'; ` +
        `GRANT ALL PRIVILEGES ON \`${fixture.database}\`.* TO '${user}'@'127.0.0.1';`,
    );
  });
  afterAll(async () => {
    await Promise.all(children.map(stop));
    mariadb(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
    await fixture?.cleanup();
  });

  it('never writes an API key, a wrong key, or a database password to stdout/stderr', async () => {
    const mysqlUrl = new URL(fixture.env.MYSQL_URL!);
    mysqlUrl.username = user;
    mysqlUrl.password = mysqlPassword;
    const common = { ...fixture.env, LOG_LEVEL: 'debug' };

    // Processor with the real credentials, and one whose MySQL is unreachable (errors carry the URL's host).
    const processor = start('processor', 'processor', {
      ...common,
      MYSQL_URL: mysqlUrl.toString(),
      CASSANDRA_USERNAME: 'cassandra',
      CASSANDRA_PASSWORD: cassandraPassword,
    });
    const deadMysql = new URL(mysqlUrl);
    deadMysql.port = String(await freePort());
    const processorNoDb = start('processor-no-mysql', 'processor', {
      ...common,
      MYSQL_URL: deadMysql.toString(),
      CASSANDRA_PASSWORD: cassandraPassword,
      CASSANDRA_USERNAME: 'cassandra',
      PROCESSOR_GROUP_ID: `${fixture.topic}_other`,
    });

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    start('ingest', 'ingest', {
      ...common,
      INGEST_PORT: String(port),
      INGEST_HOST: '127.0.0.1',
      INGEST_OPS_PORT: '0',
      INGEST_API_KEYS: `a:${apiKey},b:${otherKey}`,
      // Refills too slowly to matter however long the requests take: the burst alone decides the 429.
      INGEST_RATE_LIMIT_PER_SECOND: '0.01',
      INGEST_RATE_LIMIT_BURST: '20',
    });
    // Kafka outage as the ingest API sees it: no broker reachable (503s, connection errors logged).
    const deadPort = await freePort();
    const deadUrl = `http://127.0.0.1:${deadPort}`;
    start('ingest-no-kafka', 'ingest', {
      ...common,
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      INGEST_PORT: String(deadPort),
      INGEST_HOST: '127.0.0.1',
      INGEST_OPS_PORT: '0',
      INGEST_ACK_TIMEOUT_MS: '300',
      INGEST_API_KEYS: `a:${apiKey}`,
    });
    // Bad configurations: a malformed key list, an invalid secret URL (both exit 2 with a message).
    const badKeys = start('ingest-bad-keys', 'ingest', { INGEST_API_KEYS: `nocolon${apiKey}` });
    const badUrl = start('processor-bad-url', 'processor', { MYSQL_URL: `mysql://u:${mysqlPassword}@` });
    const badSasl = start('ingest-bad-sasl', 'ingest', {
      INGEST_API_KEYS: `a:${apiKey}`,
      KAFKA_SASL_MECHANISM: 'bogus',
      KAFKA_SASL_PASSWORD: saslPassword,
    });
    expect(await badKeys.exited).toBe(2);
    expect(await badUrl.exited).toBe(2);
    expect(await badSasl.exited).toBe(2);

    await waitReady(url, { what: 'ingest ready', timeoutMs: 60_000 });
    // Its broker unreachable, this one is never ready: alive is what it can be, and it answers from then on.
    await waitReady(deadUrl, { path: '/healthz', what: 'the ingest without Kafka listening', timeoutMs: 60_000 });
    const orders = fc.sample(orderArbitrary({ idPrefix: 'logs-' }), 5).map((o, i) => ({ ...o, order_id: `logs-${i}` }));
    const statuses: number[] = [];
    const send = async (target: string, body: unknown, headers: object, type = 'application/json') =>
      statuses.push((await post(`${target}/v1/orders`, body, type, headers)).status);
    for (const o of orders) await send(url, o, { authorization: `Bearer ${apiKey}` });
    await send(url, orders[0], { 'x-api-key': otherKey });
    await send(url, orders[0], { authorization: `Bearer ${wrongKey}` });
    await send(url, orders[0], { 'x-api-key': wrongKey });
    await send(url, '{"broken', { authorization: `Bearer ${apiKey}` });
    await send(url, { ...orders[0], grand_total: -1 }, { authorization: `Bearer ${apiKey}` });
    await send(url, 'x', { authorization: `Bearer ${apiKey}` }, 'text/plain');
    for (let i = 0; i < 25; i++) await send(url, orders[1], { authorization: `Bearer ${apiKey}` });
    for (let i = 0; i < 3; i++) await send(deadUrl, orders[2], { authorization: `Bearer ${apiKey}` });
    await send(deadUrl, orders[2], { authorization: `Bearer ${wrongKey}` });
    expect(statuses.slice(0, 6)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(statuses.slice(6, 11)).toEqual([401, 401, 400, 400, 415]);
    expect(statuses.slice(11, 36)).toContain(429);
    expect(statuses.slice(36)).toEqual([503, 503, 503, 401]);

    // The processor really worked with those credentials.
    await waitFor(
      async () => {
        const [rows] = await fixture.pool.query<RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM processed_orders WHERE order_id LIKE 'logs-%'",
        );
        return Number(rows[0]!.n) === 5;
      },
      { timeoutMs: 90_000, what: 'the orders processed' },
    );
    await sleep(2000); // let the unreachable-MySQL processor log its retries
    await Promise.all(children.map(stop));

    expect(processor.output()).toContain('processor running');
    expect(processorNoDb.output().length).toBeGreaterThan(0);
    expect(badKeys.output()).toContain('INGEST_API_KEYS');
    expect(badUrl.output()).toContain('MYSQL_URL');
    const leaks: string[] = [];
    for (const child of children) {
      const out = child.output();
      for (const [what, value] of Object.entries(secrets)) {
        for (const form of [value, encodeURIComponent(value), Buffer.from(value).toString('base64')]) {
          if (out.includes(form)) leaks.push(`${child.name} logged ${what}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
