import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RowDataPacket } from 'mysql2';
import { ensureTopics, type AcceptedOrder } from '@salespipeline/shared';
import { waitFor } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import {
  countProcessed,
  createTestEnv,
  expectExact,
  metricValue,
  produceOrders,
  recentOrders,
  type TestEnv,
} from './helpers.js';

jest.setTimeout(240_000);

// What a teardown with deletionPolicy Retain and a new install do to the data plane: the processors
// stop, the orders topic is deleted and created again (offsets from 0), MySQL keeps its offsets.
describe('processor: the orders topic created again, and messages deleted before they were read', () => {
  let env: TestEnv;
  let processor: RunningProcessor | undefined;
  const produced: AcceptedOrder[] = [];

  const send = async (prefix: string, n: number) => {
    const orders = recentOrders(prefix, n);
    produced.push(...orders);
    await produceOrders(env.kafka, env.topic, orders);
    return orders;
  };
  const restart = async () => {
    await processor?.stop();
    processor = await startProcessor(env.config());
  };
  const stop = async () => {
    await processor?.stop();
    processor = undefined;
  };
  const recreateTopic = async () => {
    const admin = env.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [env.topic] });
      await waitFor(async () => !(await admin.listTopics()).includes(env.topic), { what: 'the topic deleted' });
      // The broker may still be removing the old log: creating it again succeeds once it is gone.
      await waitFor(async () => (await ensureTopics(env.kafka, env.topic, { partitions: 1 })).length > 0, {
        what: 'the topic created again',
      });
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    env = await createTestEnv('reset', 1);
  });
  afterAll(async () => {
    await stop();
    await env?.cleanup();
  });

  it('reads a recreated topic holding fewer messages than the stored offset from its start', async () => {
    await restart();
    await send('first', 30);
    await expectExact(env, produced);
    await stop();
    await recreateTopic();
    await send('second', 10);
    await restart();
    await expectExact(env, produced);
    expect(await metricValue(processor!.opsUrl, 'processor_topic_resets_total')).toBe(1);
  });

  it('reads a recreated topic holding more messages than the stored offset from its start', async () => {
    await stop();
    await recreateTopic();
    await send('third', 50);
    await restart();
    await expectExact(env, produced);
    expect(await metricValue(processor!.opsUrl, 'processor_topic_resets_total')).toBe(1);
    const [[row]] = await env.pool.query<RowDataPacket[]>('SELECT resets FROM stream_offsets');
    expect(row!.resets).toBe(2);
  });

  it('reports messages deleted before they were applied as a gap', async () => {
    await stop();
    const lost = await send('fourth', 20);
    // Offsets 50..69: the first five are deleted (as retention would) before any processor read them.
    const admin = env.kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [env.topic] });
    await admin.deleteTopicRecords({ topic: env.topic, partitions: [{ partition: 0, offset: '55' }] });
    await admin.disconnect();
    const kept = produced.filter((o) => !lost.slice(0, 5).includes(o));
    await restart();
    await expectExact(env, kept);
    expect(await countProcessed(env.pool)).toBe(new Set(kept.map((o) => o.order_id)).size);
    // Counted when the batch's commit has returned, which may be after the rows are visible.
    await waitFor(async () => (await metricValue(processor!.opsUrl, 'processor_offset_gap_messages_total')) >= 5, {
      what: 'the gap counted',
    });
    expect(await metricValue(processor!.opsUrl, 'processor_offset_gap_messages_total')).toBe(5);
    const [[row]] = await env.pool.query<RowDataPacket[]>('SELECT skipped_messages FROM stream_offsets');
    expect(Number(row!.skipped_messages)).toBe(5);
  });
});
