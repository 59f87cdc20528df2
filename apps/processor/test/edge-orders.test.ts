import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LIMITS, hourPartitionOf, validateOrder, type AcceptedOrder } from '@salespipeline/shared';
import { NON_UTC_OFFSETS, largestOrder, withOffset } from '@salespipeline/shared/testing';
import {
  buildProcessor,
  createTestEnv,
  produceOrders,
  readTopic,
  spawnProcessor,
  topicSize,
  type TestEnv,
  expectExact,
  recentOrders,
} from './helpers.js';

jest.setTimeout(240_000);

const minute = 60_000;

/**
 * The largest orders the schema accepts, near UTC midnight and written with non-UTC offsets,
 * processed by a processor whose own zone is not UTC either.
 */
function edgeOrders(now: number): AcceptedOrder[] {
  const midnight = Math.floor(now / (24 * 3600_000)) * 24 * 3600_000;
  // Around the last UTC midnight: in Asia/Kolkata (+05:30) these are on a different local date.
  const instants = [-25, -3, 1, 7, 19 - 5 * 60].map((m) => midnight + m * minute).filter((t) => t < now - minute);
  // Each order in a minute of its own keeps every per-minute sum exact in a JS number (the test's
  // expected values are computed that way); the prices and quantities are the highest valid.
  for (let i = 1; instants.length < 24; i++) instants.push(now - i * 7 * minute);
  return instants.map((t, i) =>
    largestOrder(`max-${i}`, withOffset(t, NON_UTC_OFFSETS[i % NON_UTC_OFFSETS.length]!), {
      qty: i % 3 === 0 ? LIMITS.maxQty : 1,
    }),
  );
}

describe('processor: the largest valid orders, by a processor in a non-UTC zone (child process)', () => {
  let env: TestEnv;
  let child: ChildProcess | undefined;
  const produced: AcceptedOrder[] = [];

  beforeAll(async () => {
    buildProcessor();
    env = await createTestEnv('edge', 2);
    child = spawnProcessor(env, { TZ: 'Asia/Kolkata', LATE_BOUND_MS: String(3 * 24 * 3600_000) });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await env?.cleanup();
  });

  const exact = () => expectExact(env, produced);

  it('counts every max-size order once and files it under its UTC day and hour', async () => {
    const now = Date.now();
    const orders = edgeOrders(now);
    for (const o of orders) expect(validateOrder(o, { now })).toEqual({ ok: true, order: o });
    produced.push(...orders, ...orders.slice(0, 3));
    await produceOrders(env.kafka, env.topic, [...orders, ...orders.slice(0, 3)]);
    await exact();
    expect(await topicSize(env.kafka, `${env.topic}.dlq`)).toBe(0);
    for (const o of orders) {
      const { day, hour } = hourPartitionOf(new Date(o.created_at));
      const rs = await env.cassandra.execute(
        `SELECT order_id FROM ${env.keyspace}.orders_by_hour WHERE day = ? AND hour = ? AND created_at = ?`,
        [day, hour, new Date(o.created_at)],
        { prepare: true },
      );
      expect({ order: o.order_id, found: rs.rows.map((r) => r.get('order_id') as string) }).toEqual({
        order: o.order_id,
        found: [o.order_id],
      });
    }
  });

  it('dead-letters a message MySQL refuses for good, with the reason, and goes on', async () => {
    // A column narrower than the schema allows makes one valid order unstorable: a permanent error.
    await env.pool.query(
      'ALTER TABLE processed_orders MODIFY order_id VARCHAR(20) CHARACTER SET ascii COLLATE ascii_bin NOT NULL',
    );
    const fits = recentOrders('fits', 30);
    const [base] = recentOrders('refused', 1);
    const refused = { ...base!, order_id: 'refused-because-too-long' };
    const stream = [...fits.slice(0, 15), refused, ...fits.slice(15)];
    await produceOrders(env.kafka, env.topic, stream);
    produced.push(...fits);
    // Counted nowhere and not stored raw either (MySQL refuses its id before Cassandra is written): dead-lettered.
    await expectExact(env, produced);
    const [letter] = await readTopic(env.kafka, `${env.topic}.dlq`, 1);
    expect(JSON.parse(letter!.value)).toEqual(refused);
    expect(letter!.headers).toEqual(
      expect.objectContaining({
        'dlq-kind': 'rejected',
        'dlq-reason': expect.stringMatching(/^mysql rejected the message: .*too long/i),
        'origin-topic': env.topic,
        'origin-id': expect.stringMatching(new RegExp(`^${env.topic}/\\d+/\\d+/0$`)),
      }),
    );
  });
});
