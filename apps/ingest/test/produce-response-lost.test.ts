import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { RETRY_ADVICE, type AcceptedOrder } from '@salespipeline/shared';
import {
  countProcessed,
  expectedAggregates,
  kafkaVia,
  mapDiff,
  orderArbitrary,
  ProduceResponseDropper,
  readAggregates,
  TcpProxy,
  testInfra,
  waitFor,
  waitForProcessed,
  waitReady,
} from '@salespipeline/shared/testing';
import { createTestEnv, startProcessor, type RunningProcessor, type TestEnv } from '@salespipeline/processor/testing';
import { keyCounts, metricValue, post, readTopic, startIngest, type RunningIngest } from './helpers.js';

jest.setTimeout(180_000);

// The broker writes a batch but its response never arrives: kafkajs times the request out, retries
// and gives up, rolling back the partition's sequence numbers. The next order must still be written,
// not acknowledged as a "duplicate" of the lost batch. At the end the processor counts what the
// topic holds: every accepted order once, whatever a client re-sent.
describe('ingest when Kafka writes an order but its produce response is lost (real Kafka, Cassandra, MariaDB)', () => {
  const [host, port] = testInfra().kafkaBrokers[0]!.split(':') as [string, string];
  const dropper = new ProduceResponseDropper();
  const proxy = new TcpProxy(host, Number(port), dropper.filters);
  let env: TestEnv;
  let topic: string;
  let ingest: RunningIngest;
  let processor: RunningProcessor | undefined;
  const accepted = new Set<string>();
  // Single orders on one partition: every produce request holds one record, so a reused sequence
  // number would match the lost batch exactly. Everyday orders: the largest ones are the subject of
  // ingest.test.ts and of the processor's own tests.
  const orders = fc
    .sample(orderArbitrary({ minTime: Date.now() - 3600_000 }), 12)
    .map((o, i) => ({ ...o, order_id: `lost-${i}` }));

  beforeAll(async () => {
    env = await createTestEnv('lost', 1);
    topic = env.topic;
    const proxyPort = await proxy.start();
    const kafka = kafkaVia(proxyPort, 'lost-response', { requestTimeout: 1000 });
    ingest = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_ACK_TIMEOUT_MS: '3000',
      // A batch goes to Kafka in several produce requests.
      INGEST_KAFKA_MAX_REQUEST_BYTES: '10000',
    });
    await waitReady(ingest.url, { what: 'ingest ready' });
  });
  afterAll(async () => {
    await processor?.stop();
    await ingest?.stop();
    await proxy.cut();
    await env?.cleanup();
  });

  /** Posts an order until it is answered 202 (a client retrying its 503s); returns the statuses. */
  const postUntilAccepted = async (order: object) => {
    const statuses: number[] = [];
    await waitFor(
      async () => {
        const res = await post(`${ingest.url}/v1/orders`, order);
        statuses.push(res.status);
        return res.status === 202;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'a 202' },
    );
    return statuses;
  };

  it('answers 202 only for orders that are on the topic', async () => {
    await postUntilAccepted(orders[0]!);
    accepted.add(orders[0]!.order_id);

    dropper.dropping = true;
    const lost = orders[1]!;
    expect((await post(`${ingest.url}/v1/orders`, lost)).status).toBe(503);
    // Until the producer has given the request up (and rolled its sequence numbers back).
    await waitFor(async () => (await metricValue(ingest.opsUrl, 'ingest_kafka_send_errors_total')) > 0, {
      timeoutMs: 60_000,
      what: 'the failed send',
    });
    dropper.dropping = false;
    expect(dropper.dropped).toBeGreaterThan(0);

    for (const order of orders.slice(2)) {
      const statuses = await postUntilAccepted(order);
      expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
      accepted.add(order.order_id);
    }
    // The lost order's client re-sends it after its 503: the id makes that safe.
    await postUntilAccepted(lost);
    accepted.add(lost.order_id);

    // At least once each (a client's re-send after a 503 may add a copy; the processor counts an id once).
    const counts = await keyCounts(env.kafka, topic);
    expect([...accepted].filter((id) => !counts.has(id))).toEqual([]);
  });

  it('answers 503 for a batch Kafka wrote only in part, and 202 when the client re-sends it', async () => {
    const batch = fc
      .sample(orderArbitrary({ minTime: Date.now() - 3600_000 }), 100)
      .map((o, i) => ({ ...o, order_id: `part-${i}` }));
    const ids = batch.map((o) => o.order_id);
    const errorsBefore = await metricValue(ingest.opsUrl, 'ingest_kafka_send_errors_total');
    dropper.passFirst = 1;
    dropper.dropping = true;
    const res = await post(`${ingest.url}/v1/orders/batch`, { orders: batch });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; message: string };
    expect(body).toEqual({ error: 'unavailable', message: expect.stringContaining(RETRY_ADVICE) });
    await waitFor(async () => (await metricValue(ingest.opsUrl, 'ingest_kafka_send_errors_total')) > errorsBefore, {
      timeoutMs: 60_000,
      what: 'the failed send',
    });
    dropper.dropping = false;

    // Kafka has some of the batch: the promise is not "all or nothing" but "re-send the same batch".
    const partial = await keyCounts(env.kafka, topic);
    const written = ids.filter((id) => partial.has(id));
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(ids.length);

    await waitFor(
      async () => {
        const again = await post(`${ingest.url}/v1/orders/batch`, { orders: batch });
        if (again.status !== 202) expect(again.status).toBe(503);
        return again.status === 202;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'the re-sent batch accepted' },
    );
    for (const id of ids) accepted.add(id);
    const counts = await keyCounts(env.kafka, topic);
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    // What the first attempt wrote is there twice now; the processor counts each order_id once.
    expect(written.filter((id) => counts.get(id)! < 2)).toEqual([]);
  });

  it('lets the processor count every accepted order once, and only those on the topic', async () => {
    const onTopic = (await readTopic(env.kafka, topic)).map((m) => JSON.parse(m.value) as AcceptedOrder);
    const distinct = new Set(onTopic.map((o) => o.order_id));
    expect([...accepted].filter((id) => !distinct.has(id))).toEqual([]);
    processor = await startProcessor(env.config());
    await waitForProcessed(env.pool, distinct.size);
    expect(await countProcessed(env.pool)).toBe(distinct.size);
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(onTopic))).toEqual([]);
  });
});
