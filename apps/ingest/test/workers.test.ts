/**
 * Worker mode (INGEST_WORKERS=2) of the real process, node apps/ingest/dist/main.js, against the
 * test Kafka: both workers serve one port, a dead worker is replaced, /metrics sums the workers,
 * and SIGTERM drains every worker: requests in flight are answered and every 2xx order is in Kafka.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, ensureTopics, type AcceptedOrder } from '@salespipeline/shared';
import { freePort, orderArbitrary, testInfra, uniqueName, waitFor, waitReady } from '@salespipeline/shared/testing';
import { keyCounts, metricValue, testApiKey } from './helpers.js';

jest.setTimeout(180_000);

const main = new URL('../dist/main.js', import.meta.url).pathname;
const orders = (prefix: string, n: number): AcceptedOrder[] =>
  fc
    .sample(orderArbitrary({ minTime: Date.now() - 3600_000 }), n)
    .map((o, i) => ({ ...o, order_id: `${prefix}-${i}` }) as AcceptedOrder);

/** The worker pids of a node:cluster primary. */
const workerPids = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );

/** One POST on its own connection (the primary hands connections to the workers in turn). */
const postOnce = (url: string, body: unknown): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/orders`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${testApiKey}` },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode!));
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });

/** A POST whose body is sent in two halves: the second only when `finish` is called. */
const holdPost = (url: string, order: AcceptedOrder) => {
  const body = Buffer.from(JSON.stringify(order));
  const half = Math.floor(body.length / 2);
  let finish = () => {};
  const status = new Promise<number>((resolve, reject) => {
    const req = request(`${url}/v1/orders`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        authorization: `Bearer ${testApiKey}`,
      },
    });
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode!));
    });
    req.once('error', reject);
    req.flushHeaders();
    req.write(body.subarray(0, half));
    finish = () => req.end(body.subarray(half));
  });
  return { id: order.order_id, status, finish: () => finish() };
};

describe('ingest with INGEST_WORKERS=2', () => {
  let kafka: Kafka;
  let proc: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let url: string;
  let opsUrl: string;
  let topic: string;

  beforeAll(() => {
    kafka = createKafka({ ...testInfra(), kafkaClientId: 'workers-test' }, createLogger('test', 'fatal'));
  });

  const start = async () => {
    topic = uniqueName('ingest_workers');
    await ensureTopics(kafka, topic, { partitions: 3 });
    const port = await freePort();
    const opsPort = await freePort();
    url = `http://127.0.0.1:${port}`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    proc = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        INGEST_WORKERS: '2',
        INGEST_PORT: String(port),
        INGEST_HOST: '127.0.0.1',
        INGEST_OPS_PORT: String(opsPort),
        INGEST_OPS_HOST: '127.0.0.1',
        INGEST_API_KEYS: `test:${testApiKey}`,
        ORDERS_TOPIC: topic,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const child = proc;
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // Ready on the ops port: every worker listening with its producer connected.
    await waitReady(opsUrl, { what: 'both workers ready', timeoutMs: 90_000 });
  };

  afterEach(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    proc = undefined;
  });

  it('serves from both workers, sums their metrics, and replaces a worker that dies', async () => {
    await start();
    const primary = proc!.pid!;
    expect(workerPids(primary)).toHaveLength(2);
    const ready = (await (await fetch(`${opsUrl}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks).toEqual({ workers: 'ok' });

    // Connections go to the workers in turn: ten orders, each worker's counter a part of the sum.
    const first = orders('w-first', 10);
    for (const order of first) expect(await postOnce(url, order)).toBe(202);
    expect(await metricValue(opsUrl, 'ingest_orders_accepted_total')).toBe(10);
    expect(await metricValue(opsUrl, 'ingest_request_duration_seconds_count')).toBe(10);

    // Each worker alone serves the port while the other is dead (reaped: the primary knows); the
    // primary then starts a new one.
    for (const victim of workerPids(primary)) {
      process.kill(victim, 'SIGKILL');
      await waitFor(async () => !workerPids(primary).includes(victim), { what: 'the killed worker reaped' });
      for (const order of orders(`w-after-${victim}`, 4)) expect(await postOnce(url, order)).toBe(202);
      await waitFor(async () => workerPids(primary).length === 2, {
        what: 'a new worker in place of the killed one',
        timeoutMs: 60_000,
      });
      await waitReady(opsUrl, { what: 'ready again', timeoutMs: 60_000 });
    }
    const counts = await keyCounts(kafka, topic);
    for (const order of first) expect(counts.get(order.order_id)).toBe(1);
  });

  it('drains every worker on SIGTERM: requests in flight answered, every 2xx order in Kafka, exit 0', async () => {
    await start();
    // Requests in flight at the signal, whatever the machine's speed: each has its headers read (so a
    // worker counts it) and half its body sent; the rest is sent only after SIGTERM.
    const held = orders('w-held', 6).map((order) => holdPost(url, order));
    await waitFor(async () => (await metricValue(opsUrl, 'ingest_requests_in_flight')) === held.length, {
      what: 'every held request in flight in a worker',
      timeoutMs: 60_000,
    });
    // And a stream of new requests around the signal.
    const burst = orders('w-drain', 300);
    const results = burst.map((order) =>
      postOnce(url, order).then(
        (status) => ({ id: order.order_id, status }),
        (err: Error) => ({ id: order.order_id, status: 0, error: err.message }),
      ),
    );
    proc!.kill('SIGTERM');
    for (const h of held) h.finish();
    const heldStatuses = await Promise.all(held.map((h) => h.status));
    const outcomes = await Promise.all(results);
    expect(await exited).toBe(0);

    expect(heldStatuses).toEqual(held.map(() => 202));
    // Every other answer is 202 or 503; a request the closing port no longer took fails to connect.
    expect(outcomes.filter((o) => o.status !== 202 && o.status !== 503 && o.status !== 0)).toEqual([]);
    const accepted = [...held.map((h) => h.id), ...outcomes.filter((o) => o.status === 202).map((o) => o.id)];
    const counts = await keyCounts(kafka, topic);
    for (const id of accepted) expect(counts.get(id)).toBe(1);
  });

  it.each([
    ['an invalid INGEST_WORKERS, before starting a worker', { INGEST_WORKERS: '0' }, 'INGEST_WORKERS'],
    ['invalid API keys, which the workers read', { INGEST_WORKERS: '2', INGEST_API_KEYS: 'no-key' }, 'INGEST_API_KEYS'],
  ])('exits 2 naming the setting for %s', async (_what, env, setting) => {
    const bad = spawn(process.execPath, [main], {
      env: { ...process.env, INGEST_API_KEYS: `test:${testApiKey}`, INGEST_PORT: '0', INGEST_OPS_PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    bad.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'close': its exit code once stderr is read to the end too.
    const code = await new Promise((resolve) => bad.once('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(setting);
  });
});
