import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { RowDataPacket } from 'mysql2';
import type { AcceptedOrder } from '@salespipeline/shared';
import { waitFor } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import { topicRetention } from '../src/pruner.js';
import {
  countProcessed,
  createTestEnv,
  expectedAggregates,
  mapDiff,
  metricValue,
  produceOrders,
  readAggregates,
  readTopic,
  type TestEnv,
  recentOrders,
} from './helpers.js';

jest.setTimeout(180_000);

const minute = 60_000;

describe('processor: processed_orders retention, and side messages sent again', () => {
  let env: TestEnv;
  let processor: RunningProcessor | undefined;
  const produced: AcceptedOrder[] = [];
  // With the topic below the re-delivery window is 1 + 1 + 1 + 5 min + 1 h = 68 min.
  const settings = { LATE_BOUND_MS: String(minute), PROCESSED_ORDERS_PRUNE_INTERVAL_MS: '1000' };
  const runSettings = { ...settings, PROCESSED_ORDERS_RETENTION_MS: String(120 * minute) };

  const idExists = async (id: string) => {
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT 1 FROM processed_orders WHERE order_id = ?', [id]);
    return rows.length > 0;
  };

  beforeAll(async () => {
    env = await createTestEnv('retention', 1, { retentionMs: minute });
    const admin = env.kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: env.topic,
          configEntries: [
            { name: 'retention.ms', value: String(minute) },
            { name: 'segment.ms', value: String(minute) },
          ],
        },
      ],
    });
    await admin.disconnect();
    // The broker applies the change a moment after the controller commits it.
    await waitFor(async () => (await topicRetention(env.kafka, env.topic)).segmentMs === minute, {
      what: "the topic's new segment.ms",
    });
  });
  afterAll(async () => {
    await processor?.stop();
    await env?.cleanup();
  });

  it('refuses to start with a retention shorter than the topic allows re-deliveries', async () => {
    await expect(
      startProcessor(env.config({ ...settings, PROCESSED_ORDERS_RETENTION_MS: String(60 * minute) })),
    ).rejects.toThrow(/shorter than the re-delivery window of 4080000 ms/);
  });

  it('prunes order ids older than the retention and still de-duplicates a re-send inside it', async () => {
    processor = await startProcessor(env.config(runSettings));
    const first = recentOrders('kept', 20, 30_000);
    produced.push(...first);
    await produceOrders(env.kafka, env.topic, first);
    await waitFor(async () => (await countProcessed(env.pool)) === 20, { what: '20 orders processed' });
    // Ids counted long ago (their processing time set back): one beyond the retention, one inside.
    await env.pool.query(
      `INSERT INTO processed_orders (order_id, kafka_partition, kafka_offset, event_minute, late, accepted_at, processed_at)
       VALUES ('old-1', 0, 0, NOW(), 0, NOW(3), NOW(3) - INTERVAL 3 HOUR),
              ('inside-1', 0, 0, NOW(), 0, NOW(3), NOW(3) - INTERVAL 90 MINUTE)`,
    );
    // The row is gone as soon as the DELETE commits; the counter follows when the pruner has its
    // answer, so the two are awaited together.
    await waitFor(
      async () =>
        !(await idExists('old-1')) &&
        (await metricValue(processor!.opsUrl, 'processor_processed_orders_pruned_total')) >= 1,
      { what: 'the id older than the retention pruned, and counted' },
    );
    expect(await idExists('inside-1')).toBe(true);

    // A client re-sends orders it was not sure about: counted once.
    await produceOrders(env.kafka, env.topic, first.slice(0, 5));
    await waitFor(async () => (await metricValue(processor!.opsUrl, 'processor_orders_duplicate_total')) >= 5, {
      what: 'the re-sent orders seen as duplicates',
    });
    expect(await countProcessed(env.pool)).toBe(21);
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  });

  it('a failed commit sends the dead letter and the late order again, as identical copies with one origin-id', async () => {
    // The next offset update fails once, after the side messages went out (the counter lives in a
    // non-transactional table, so the rollback does not undo its decrement).
    await env.pool.query('CREATE TABLE fail_commits (n INT NOT NULL) ENGINE=MyISAM');
    await env.pool.query('INSERT INTO fail_commits VALUES (1)');
    await env.pool.query(
      `CREATE TRIGGER fail_commit_once BEFORE UPDATE ON stream_offsets FOR EACH ROW
       BEGIN
         IF (SELECT n FROM fail_commits) > 0 THEN
           UPDATE fail_commits SET n = n - 1;
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected commit failure';
         END IF;
       END`,
    );
    const before = await countProcessed(env.pool);
    const [late] = recentOrders('late', 1).map((o) => ({
      ...o,
      created_at: new Date(Date.now() - 10 * minute).toISOString(),
    }));
    // Sent while no processor runs, so that both arrive in one batch.
    await processor?.stop();
    processor = undefined;
    await produceOrders(env.kafka, env.topic, ['{poison', late!]);
    processor = await startProcessor(env.config(runSettings));
    await waitFor(async () => (await countProcessed(env.pool)) === before + 1, { what: 'the late order processed' });
    const [[counter]] = await env.pool.query<RowDataPacket[]>('SELECT n FROM fail_commits');
    expect(counter!.n).toBe(0);

    const letters = await readTopic(env.kafka, `${env.topic}.dlq`, 2);
    expect(letters).toHaveLength(2);
    expect(letters[1]).toEqual(letters[0]);
    expect(letters[0]!.value).toBe('{poison');
    expect(letters[0]!.headers['origin-id']).toMatch(new RegExp(`^${env.topic}/0/\\d+/0$`));

    const lates = await readTopic(env.kafka, `${env.topic}.late`, 2);
    expect(lates).toHaveLength(2);
    expect(lates[1]).toEqual(lates[0]);
    expect(lates[0]!.key).toBe(late!.order_id);
    expect(lates[0]!.headers['origin-id']).toBe(`${env.topic}/0/${Number(letters[0]!.headers['origin-offset']) + 1}/0`);
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
  });
});
