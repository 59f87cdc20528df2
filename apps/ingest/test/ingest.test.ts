import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import fc from 'fast-check';
import { createKafka, createLogger, LIMITS } from '@salespipeline/shared';
import { largestOrder, orderArbitrary, uniqueName, waitFor, withOffset } from '@salespipeline/shared/testing';
import { endOffsets, post, readTopic, startIngest, startIngestOnNewTopic, type RunningIngest } from './helpers.js';

jest.setTimeout(60_000);

const sample = (n: number, prefix: string) =>
  fc.sample(orderArbitrary({ idPrefix: prefix }), n).map((o, i) => ({ ...o, order_id: `${prefix}${i}` }));

describe('ingest API (real Kafka)', () => {
  const topic = uniqueName('ingest');
  let kafka: Kafka;
  let ingest: RunningIngest;

  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ kafka, ingest, cleanup } = await startIngestOnNewTopic(topic, 3, { DEFAULT_CURRENCY: 'PKR' }));
  });
  afterAll(() => cleanup());

  it('accepts one order with 202 only after Kafka has it, keyed by order_id, currency defaulted', async () => {
    const [order] = sample(1, 'single-');
    const { currency: _c, ...withoutCurrency } = order!;
    const res = await post(`${ingest.url}/v1/orders`, withoutCurrency);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1 });
    const consumer = kafka.consumer({ groupId: uniqueName('ingest_read') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ key: string; value: unknown }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: String(message.key), value: JSON.parse(String(message.value)) });
      },
    });
    await waitFor(async () => seen.length >= 1, { what: 'the order on the topic' });
    await consumer.disconnect();
    expect(seen).toEqual([{ key: order!.order_id, value: { ...withoutCurrency, currency: 'PKR' } }]);
  });

  it('accepts a batch of the maximum size: every order is on the topic', async () => {
    const before = await endOffsets(kafka, topic);
    const orders = sample(LIMITS.maxBatch, 'batch-');
    const res = await post(`${ingest.url}/v1/orders/batch`, { orders });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: LIMITS.maxBatch });
    expect((await endOffsets(kafka, topic)) - before).toBe(LIMITS.maxBatch);
  });

  it('answers every class of invalid input with its 4xx and a machine-readable body; nothing is produced', async () => {
    const before = await endOffsets(kafka, topic);
    const [good, other] = sample(2, 'bad-');
    const cases: Array<[string, string, unknown, string | undefined, number, object]> = [
      ['malformed JSON', '/v1/orders', '{"order_id": ', undefined, 400, { error: 'invalid_json' }],
      [
        'wrong content type',
        '/v1/orders',
        JSON.stringify(good),
        'text/plain',
        415,
        { error: 'unsupported_media_type' },
      ],
      [
        'unknown field',
        '/v1/orders',
        { ...good, coupon: 'X' },
        undefined,
        400,
        { error: 'invalid_order', errors: [{ path: '/coupon', message: 'unknown field' }] },
      ],
      [
        'bad line',
        '/v1/orders',
        { ...good, items: [{ ...good!.items[0], qty_ordered: 0 }] },
        undefined,
        400,
        {
          error: 'invalid_order',
          errors: expect.arrayContaining([expect.objectContaining({ path: '/items/0/qty_ordered' })]),
        },
      ],
      [
        'wrong total',
        '/v1/orders',
        { ...good, grand_total: good!.grand_total + 1 },
        undefined,
        400,
        { error: 'invalid_order', errors: [expect.objectContaining({ path: '/grand_total' })] },
      ],
      [
        'third decimal on a large amount',
        '/v1/orders',
        {
          ...good,
          items: [{ ...good!.items[0], price: 499999.999, qty_ordered: 1, discount_amount: 0 }],
          grand_total: 500000,
        },
        undefined,
        400,
        {
          error: 'invalid_order',
          errors: [{ path: '/items/0/price', message: 'must have at most 2 decimals' }],
        },
      ],
      [
        'future event time',
        '/v1/orders',
        { ...good, created_at: new Date(Date.now() + 3600_000).toISOString() },
        undefined,
        400,
        { error: 'invalid_order', errors: [expect.objectContaining({ path: '/created_at' })] },
      ],
      [
        'batch with one invalid order',
        '/v1/orders/batch',
        { orders: [good, { ...other, status: 'lost' }] },
        undefined,
        400,
        { error: 'invalid_order', errors: [expect.objectContaining({ index: 1, path: '/status' })] },
      ],
      [
        'batch too long',
        '/v1/orders/batch',
        { orders: Array(LIMITS.maxBatch + 1).fill(good) },
        undefined,
        400,
        { error: 'invalid_order', errors: [expect.objectContaining({ path: '/orders' })] },
      ],
      [
        'body too large',
        '/v1/orders/batch',
        JSON.stringify({ orders: [good], pad: 'x'.repeat(17 * 2 ** 20) }),
        undefined,
        413,
        { error: 'too_large' },
      ],
    ];
    for (const [name, path, body, type, status, expected] of cases) {
      const res = await post(`${ingest.url}${path}`, body, type);
      const json = (await res.json()) as object;
      expect({ name, status: res.status, json }).toEqual({
        name,
        status,
        json: expect.objectContaining({ ...expected, message: expect.any(String) }),
      });
    }
    expect(await endOffsets(kafka, topic)).toBe(before);
  });

  it('serves the OpenAPI document and the ops endpoints', async () => {
    const doc = (await (await fetch(`${ingest.url}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(doc.paths)).toEqual(['/v1/orders', '/v1/orders/batch']);
    expect((await fetch(`${ingest.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${ingest.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/ingest_orders_accepted_total\{app="ingest"\} 1001/);
    expect(metrics).toContain('ingest_orders_rejected_total{reason="invalid_order",app="ingest"}');
  });

  it('accepts the edge cases unchanged: the largest order, long 4-byte strings, high prices, non-UTC offsets', async () => {
    const orders = [
      largestOrder('edge-largest', withOffset(Date.now() - 60_000, '+05:45')),
      ...fc
        .sample(orderArbitrary({ edges: true }), { numRuns: 30, seed: 12 })
        .map((o, i) => ({ ...o, order_id: `edge-${i}` })),
    ];
    for (const order of orders) {
      const res = await post(`${ingest.url}/v1/orders`, order);
      expect({ id: order.order_id, status: res.status }).toEqual({ id: order.order_id, status: 202 });
    }
    const onTopic = new Map((await readTopic(kafka, topic)).map((m) => [m.key, JSON.parse(m.value) as unknown]));
    for (const order of orders) expect(onTopic.get(order.order_id)).toEqual(order);
  });
});

describe('ingest API with no reachable Kafka', () => {
  it('is not ready and answers 503 with Retry-After, never 2xx', async () => {
    const kafka = createKafka(
      { kafkaBrokers: ['127.0.0.1:1'], kafkaClientId: 'test-dead' },
      createLogger('test', 'fatal'),
    );
    const ingest = await startIngest(kafka, { ORDERS_TOPIC: 'nowhere', INGEST_ACK_TIMEOUT_MS: '500' });
    try {
      expect((await fetch(`${ingest.url}/readyz`)).status).toBe(503);
      const [order] = sample(1, 'dead-');
      for (const path of ['/v1/orders', '/v1/orders/batch']) {
        const res = await post(`${ingest.url}${path}`, path.endsWith('batch') ? { orders: [order] } : order);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(await res.json()).toEqual(expect.objectContaining({ error: 'unavailable' }));
      }
    } finally {
      await ingest.stop();
    }
  });
});
