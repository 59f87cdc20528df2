import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, ensureTopics } from '@salespipeline/shared';
import { freePort, orderArbitrary, waitFor, waitReady } from '@salespipeline/shared/testing';
import { post, startIngest, type RunningIngest } from './helpers.js';

jest.setTimeout(180_000);

const repo = new URL('../../../', import.meta.url).pathname;

// The shared broker cannot be stopped (other test files use it), so this test starts its own Kafka
// with scripts/infra/kafka.sh on free ports and a private state directory, and stops/starts that one.
describe('ingest API while Kafka stops and starts again', () => {
  const state = mkdtempSync(`${tmpdir()}/sp-kafka-outage-`);
  let env: NodeJS.ProcessEnv;
  let kafka: Kafka;
  let ingest: RunningIngest;
  const topic = 'orders';
  const kafkaSh = (command: string) => {
    const r = spawnSync('bash', [`${repo}scripts/infra/kafka.sh`, command], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kafka.sh ${command} failed: ${r.stderr}`);
  };
  // Enough for every attempt the wait for a 202 after the outage can make within its time limit.
  const orders = fc.sample(orderArbitrary({ minTime: Date.now() - 3600_000 }), 200).map((o, i) => ({
    ...o,
    order_id: `outage-${i}`,
  }));
  let next = 0;
  const postNext = () => post(`${ingest.url}/v1/orders`, orders[next++]);

  beforeAll(async () => {
    const port = await freePort();
    env = {
      ...process.env,
      SALESPIPELINE_STATE: state,
      SP_KAFKA_PORT: String(port),
      SP_KAFKA_CONTROLLER_PORT: String(await freePort()),
      // Exported by a clone's port set, it would be the shared broker's node listener: its own one.
      SP_KAFKA_NODE_PORT: String(await freePort()),
    };
    // A cluster id that does not start with '-' (kafka-storage would read it as an option).
    mkdirSync(`${state}/kafka`, { recursive: true });
    writeFileSync(`${state}/kafka/cluster.id`, 'SpOutageTestCluster0Aa');
    kafkaSh('start');
    kafka = createKafka(
      { kafkaBrokers: [`127.0.0.1:${port}`], kafkaClientId: 'outage' },
      createLogger('test', 'fatal'),
    );
    await ensureTopics(kafka, topic, { partitions: 1 });
    // The default acknowledgement timeout: the first send to a fresh broker fetches metadata first.
    // In the outage only the first send can wait that long: a failed send marks the producer
    // disconnected, and the later ones are refused at once.
    ingest = await startIngest(kafka, { ORDERS_TOPIC: topic });
    await waitReady(ingest.url, { what: 'ingest ready' });
  });
  afterAll(async () => {
    await ingest?.stop();
    kafkaSh('stop');
    rmSync(state, { recursive: true, force: true });
  });

  it('accepts, answers 503 + Retry-After (never 2xx) while Kafka is down, accepts again after', async () => {
    const accepted: string[] = [];
    const first = await postNext();
    expect(first.status).toBe(202);
    accepted.push(orders[0]!.order_id);

    kafkaSh('stop');
    const during: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postNext();
      during.push(res.status);
      expect(res.headers.get('retry-after')).toBe('2');
    }
    expect(during).toEqual([503, 503, 503, 503, 503]);
    expect((await fetch(`${ingest.url}/readyz`)).status).toBe(503);

    kafkaSh('start');
    const again = await waitFor(
      async () => {
        const id = orders[next]!.order_id;
        const res = await postNext();
        if (res.status === 202) return id;
        expect(res.status).toBe(503);
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'a 202 after Kafka is back' },
    );
    accepted.push(again);

    // Every order answered 202 is in Kafka.
    const consumer = kafka.consumer({ groupId: 'outage-check' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(String(message.key));
      },
    });
    // A consumer group's first join on a fresh broker creates its offsets topic first.
    await waitFor(async () => accepted.every((id) => seen.has(id)), {
      what: 'the accepted orders in Kafka',
      timeoutMs: 60_000,
    });
    await consumer.disconnect();
  });
});
