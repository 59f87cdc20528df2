/** Test fixtures of the processor: a private topic, MySQL database and keyspace per test file. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { IHeaders, Kafka } from 'kafkajs';
import type { AcceptedOrder } from '@salespipeline/shared';
import { expect } from '@jest/globals';
import fc from 'fast-check';
import {
  countProcessed,
  expectedAggregates,
  mapDiff,
  normalise,
  orderArbitrary,
  readAggregates,
  readRawOrders,
  uniqueName,
  waitFor,
} from '@salespipeline/shared/testing';
import type { TestEnv } from '../src/testing/index.js';

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
 * raw orders are exactly those of the first version of each id.
 */
export async function expectExact(
  env: TestEnv,
  produced: AcceptedOrder[],
  { timeoutMs = 120_000 } = {},
): Promise<void> {
  const firsts = new Map<string, AcceptedOrder>();
  for (const o of produced) if (!firsts.has(o.order_id)) firsts.set(o.order_id, normalise(o));
  await waitFor(async () => (await countProcessed(env.pool)) === firsts.size, {
    timeoutMs,
    what: `${firsts.size} orders processed`,
  });
  expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  expect(mapDiff(await readRawOrders(env.cassandra, env.keyspace), firsts)).toEqual([]);
}

// The jest-free fixtures live in this package's test kit and the shared one; re-exported for this package's tests.
export { createTestEnv, offsetRowLockWaits, type TestEnv } from '../src/testing/index.js';
export {
  countByHour,
  countProcessed,
  expectedAggregates,
  hostPort,
  mapDiff,
  metricValue,
  normalise,
  produceOrders,
  readAggregates,
  readRawOrders,
  waitForProcessed,
  type Totals,
} from '@salespipeline/shared/testing';
