import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { RowDataPacket } from 'mysql2';
import { LATEST_ORDERS_PER_HOUR, type AcceptedOrder } from '@salespipeline/shared';
import { orderArbitrary, uniqueName, waitFor } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import {
  countByHour,
  countProcessed,
  createTestEnv,
  expectedAggregates,
  normalise,
  produceOrders,
  readAggregates,
  readRawOrders,
  readTopic,
  mapDiff,
  type TestEnv,
} from './helpers.js';

jest.setTimeout(180_000);

describe('processor: exact aggregates and raw orders (real Kafka, Cassandra, MariaDB)', () => {
  let env: TestEnv;
  let processor: RunningProcessor | undefined;
  const produced: AcceptedOrder[] = [];
  const LATE_BOUND_MS = 3 * 3600_000;

  // Offset hints only when it stops (the interval is longer than the test), which the last test checks.
  const start = async () => {
    processor = await startProcessor(
      env.config({ LATE_BOUND_MS: String(LATE_BOUND_MS), PROCESSOR_OFFSET_HINT_INTERVAL_MS: '60000' }),
    );
  };

  beforeAll(async () => {
    env = await createTestEnv('exact', 3);
    await start();
  });
  afterAll(async () => {
    await processor?.stop();
    await env?.cleanup();
  });

  const distinct = () => new Set(produced.map((o) => o.order_id)).size;
  const firstVersions = () => {
    const firsts = new Map<string, AcceptedOrder>();
    for (const o of produced) if (!firsts.has(o.order_id)) firsts.set(o.order_id, normalise(o));
    return firsts;
  };

  it('stores exactly the orders sent and aggregates exactly their sums, whatever the stream (property)', async () => {
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.array(orderArbitrary({ minTime: now - 2 * 3600_000, maxTime: now }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (orders, resend) => {
          // Re-sent order ids: identical copies and changed ones (a different status): the first wins.
          const again = resend.map((i, k) => {
            const o = orders[i % orders.length]!;
            return k % 2
              ? o
              : { ...o, status: o.status === 'complete' ? ('canceled' as const) : ('complete' as const) };
          });
          const stream = [...orders, ...again];
          produced.push(...stream);
          await produceOrders(env.kafka, env.topic, stream);
          await waitFor(async () => (await countProcessed(env.pool)) === distinct(), {
            timeoutMs: 60_000,
            what: 'every distinct order processed',
          });
          expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
          expect(mapDiff(await readRawOrders(env.cassandra, env.keyspace), firstVersions())).toEqual([]);
        },
      ),
      { numRuns: 15 },
    );
    expect(await countByHour(env.cassandra, env.keyspace)).toBe(distinct());
    const metrics = await (await fetch(`${processor!.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/processor_orders_processed_total\{app="processor"\} [1-9]/);
    expect(metrics).toContain('processor_freshness_seconds_bucket');
    expect(metrics).toContain('processor_partition_lag{partition=');
  });

  it('sends poison messages to the DLQ with their origin and goes on', async () => {
    const before = await countProcessed(env.pool);
    const [valid] = fc.sample(orderArbitrary({ idPrefix: 'after-poison-', minTime: Date.now() - 3600_000 }), 1);
    await produceOrders(env.kafka, env.topic, ['{not json', JSON.stringify({ order_id: 'x', status: 'complete' })]);
    await produceOrders(env.kafka, env.topic, [valid!]);
    produced.push(valid!);
    await waitFor(async () => (await countProcessed(env.pool)) === before + 1, { what: 'the order after the poison' });
    const dlq = await readTopic(env.kafka, `${env.topic}.dlq`, 2);
    expect(dlq.map((m) => m.value).sort()).toEqual(['{"order_id":"x","status":"complete"}', '{not json'].sort());
    for (const m of dlq) {
      expect(m.headers).toEqual(
        expect.objectContaining({
          'origin-topic': env.topic,
          'origin-partition': expect.stringMatching(/^\d+$/),
          'origin-offset': expect.stringMatching(/^\d+$/),
          'dlq-reason': expect.any(String),
        }),
      );
    }
    expect(dlq.find((m) => m.value.startsWith('{not'))!.headers['dlq-reason']).toContain('not JSON');
    expect(dlq.find((m) => m.value.startsWith('{"order_id"'))!.headers['dlq-reason']).toContain('/created_at');
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  });

  it('stores a late order raw, sends it to the late topic, and leaves the aggregates alone', async () => {
    const before = await countProcessed(env.pool);
    const now = Date.now();
    const [late] = fc.sample(orderArbitrary({ minTime: now - 6 * 3600_000, maxTime: now - 4 * 3600_000 }), 1);
    const order = { ...late!, order_id: uniqueName('late') };
    await produceOrders(env.kafka, env.topic, [order]);
    await waitFor(async () => (await countProcessed(env.pool)) === before + 1, { what: 'the late order' });
    const [message] = await readTopic(env.kafka, `${env.topic}.late`, 1);
    expect(JSON.parse(message!.value)).toEqual(order);
    expect(Number(message!.headers['late-by-ms'])).toBeGreaterThan(LATE_BOUND_MS);
    expect((await readRawOrders(env.cassandra, env.keyspace)).get(order.order_id)).toEqual(normalise(order));
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  });

  it('keeps the newest orders of an hour in orders_by_hour, as many as the dashboard may read', async () => {
    // A past hour of its own, so the orders are late: raw only, the aggregates checked above stay as they are.
    const hourStart = Date.parse('2026-01-01T10:00:00Z');
    const count = 6 * LATEST_ORDERS_PER_HOUR;
    // Few distinct instants, so the newest are decided by order id as often as by time.
    const orders = fc.sample(orderArbitrary({ minTime: hourStart, maxTime: hourStart }), count).map((o, i) => ({
      ...o,
      order_id: `latest-${(i * 7919) % 10007}`,
      created_at: new Date(hourStart + (i % 40) * 60_000).toISOString(),
    }));
    const before = await countProcessed(env.pool);
    // Sent while no processor runs, so that each of the 3 partitions is fetched as one chunk of more
    // than are kept (sent to a running one, each request of the producer may be a chunk of its own).
    await processor!.stop();
    processor = undefined;
    await produceOrders(env.kafka, env.topic, orders);
    await start();
    await waitFor(async () => (await countProcessed(env.pool)) === before + count, { what: 'the orders of one hour' });
    const newest = orders
      .map((o) => ({ id: o.order_id, at: Date.parse(o.created_at) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1))
      .slice(0, LATEST_ORDERS_PER_HOUR)
      .map((o) => o.id);
    const rs = await env.cassandra.execute(
      `SELECT order_id FROM ${env.keyspace}.orders_by_hour WHERE day = '2026-01-01' AND hour = 10 LIMIT ?`,
      [LATEST_ORDERS_PER_HOUR],
      { prepare: true },
    );
    expect(rs.rows.map((r) => r.get('order_id') as string)).toEqual(newest);
    const stored = await env.cassandra.execute(
      `SELECT COUNT(*) AS n FROM ${env.keyspace}.orders_by_hour WHERE day = '2026-01-01' AND hour = 10`,
    );
    expect(Number(stored.first().get('n'))).toBeLessThan(count);
    expect((await readRawOrders(env.cassandra, env.keyspace)).get(orders[0]!.order_id)).toEqual(normalise(orders[0]!));
  });

  it('commits the offsets stored with the aggregates to its consumer group, the last ones as it stops', async () => {
    await processor!.stop();
    processor = undefined;
    const [stored] = await env.pool.query<RowDataPacket[]>(
      'SELECT kafka_partition, CAST(next_offset AS CHAR) AS next_offset FROM stream_offsets WHERE topic = ? AND next_offset > 0',
      [env.topic],
    );
    expect(stored.length).toBeGreaterThan(0);
    const admin = env.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: `${env.topic}_group`, topics: [env.topic] });
      const hints = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
      for (const row of stored)
        expect([row.kafka_partition, hints.get(Number(row.kafka_partition))]).toEqual([
          row.kafka_partition,
          row.next_offset,
        ]);
    } finally {
      await admin.disconnect();
    }
  });
});
