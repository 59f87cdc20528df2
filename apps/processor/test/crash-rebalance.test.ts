import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { AcceptedOrder } from '@salespipeline/shared';
import { orderArbitrary, waitFor } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import {
  buildProcessor,
  countProcessed,
  createTestEnv,
  expectedAggregates,
  normalise,
  produceOrders,
  readAggregates,
  readRawOrders,
  mapDiff,
  spawnProcessor,
  type TestEnv,
} from './helpers.js';

jest.setTimeout(300_000);

function makeOrders(prefix: string, n: number): AcceptedOrder[] {
  const now = Date.now();
  return fc
    .sample(orderArbitrary({ minTime: now - 3600_000, maxTime: now }), n)
    .map((o, i) => ({ ...o, order_id: `${prefix}-${i}` }));
}

function check(env: TestEnv, produced: AcceptedOrder[]) {
  const firsts = new Map<string, AcceptedOrder>();
  for (const o of produced) if (!firsts.has(o.order_id)) firsts.set(o.order_id, normalise(o));
  return async () => {
    await waitFor(async () => (await countProcessed(env.pool)) === firsts.size, {
      timeoutMs: 150_000,
      what: `${firsts.size} orders processed`,
    });
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
    expect(mapDiff(await readRawOrders(env.cassandra, env.keyspace), firsts)).toEqual([]);
  };
}

describe('processor: kill -9 mid-stream and restart (child processes)', () => {
  let env: TestEnv;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    buildProcessor();
    env = await createTestEnv('crash', 3);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await env?.cleanup();
  });

  // A short session: the restarted child's join waits for the killed one's session to expire.
  const start = () => spawnProcessor(env, { PROCESSOR_MAX_BATCH: '200', KAFKA_SESSION_TIMEOUT_MS: '10000' });

  it('counts every order exactly once across a kill -9 and a restart', async () => {
    const orders = makeOrders('crash', 4000);
    const produced: AcceptedOrder[] = [];
    child = start();
    // Stream in bursts, with re-sent duplicates; once the processor has made progress on the first
    // half (whatever the machine's speed), kill -9 it, restart it and stream the second half.
    const sendBursts = async (from: number, to: number) => {
      for (let i = from; i < to; i += 250) {
        const burst = orders.slice(i, Math.min(i + 250, to));
        const dups = burst.filter((_, k) => k % 25 === 0);
        produced.push(...burst, ...dups);
        await produceOrders(env.kafka, env.topic, [...burst, ...dups]);
      }
    };
    await sendBursts(0, orders.length / 2);
    await waitFor(async () => (await countProcessed(env.pool)) > 500, {
      timeoutMs: 90_000,
      what: 'progress before the kill',
    });
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = start();
    await sendBursts(orders.length / 2, orders.length);
    await check(env, produced)();
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
  });
});

describe('processor: two processors and rebalances in between (in-process)', () => {
  let env: TestEnv;
  const running = new Set<RunningProcessor>();
  const startOne = async () => {
    const p = await startProcessor(env.config({ PROCESSOR_MAX_BATCH: '100' }));
    running.add(p);
    return p;
  };
  const stopOne = async (p: RunningProcessor) => {
    running.delete(p);
    await p.stop();
  };

  beforeAll(async () => {
    env = await createTestEnv('rebalance', 4);
  });
  afterAll(async () => {
    for (const p of running) await stopOne(p);
    await env?.cleanup();
  });

  it('stays exact while a second processor joins and the first leaves', async () => {
    const produced: AcceptedOrder[] = [];
    const send = async (orders: AcceptedOrder[]) => {
      produced.push(...orders);
      await produceOrders(env.kafka, env.topic, orders);
    };
    const first = await startOne();
    await send(makeOrders('a', 1000));
    const second = await startOne();
    const more = makeOrders('b', 1000);
    await send(more);
    await send(more.slice(0, 200)); // re-posted during the rebalance
    await stopOne(first);
    await send(makeOrders('c', 1000));
    await check(env, produced)();
    const metrics = await (await fetch(`${second.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/processor_orders_duplicate_total\{app="processor"\} [1-9]/);
    await stopOne(second);
  });
});
