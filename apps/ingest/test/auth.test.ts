import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { ConfigError, createKafka, createLogger, ensureTopics } from '@salespipeline/shared';
import { orderArbitrary, testInfra, uniqueName, waitReady } from '@salespipeline/shared/testing';
import { endOffsets, post, startIngest, type RunningIngest } from './helpers.js';

jest.setTimeout(60_000);

const key = `auth-test-key-${'k'.repeat(20)}`;
const other = `auth-test-other-${'o'.repeat(20)}`;
const orders = fc.sample(orderArbitrary({ idPrefix: 'auth-' }), 40).map((o, i) => ({ ...o, order_id: `auth-${i}` }));
let next = 0;
const order = () => orders[next++]!;

describe('ingest API authentication and rate limit (real Kafka)', () => {
  const infra = testInfra();
  const topic = uniqueName('ingest_auth');
  let kafka: Kafka;
  let ingest: RunningIngest;
  let limited: RunningIngest;

  beforeAll(async () => {
    kafka = createKafka(infra, createLogger('test', 'warn'));
    await ensureTopics(kafka, topic, { partitions: 1 });
    ingest = await startIngest(kafka, { ORDERS_TOPIC: topic, INGEST_API_KEYS: `writer:${key},other:${other}` });
    limited = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_API_KEYS: `writer:${key}`,
      // A token every 5 s: the 429 test's requests come faster than that, even on a slow machine.
      INGEST_RATE_LIMIT_PER_SECOND: '0.2',
      INGEST_RATE_LIMIT_BURST: '3',
    });
    for (const app of [ingest, limited]) {
      await waitReady(app.url, { what: 'ingest ready' });
    }
  });
  afterAll(async () => {
    await ingest?.stop();
    await limited?.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('answers 401 with one fixed body and WWW-Authenticate for a missing, wrong or malformed key; nothing produced', async () => {
    const before = await endOffsets(kafka, topic);
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${key}x` },
      { authorization: `Bearer ${key.slice(0, -1)}` },
      { authorization: 'Bearer a' },
      { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` },
      { authorization: `Bearer ${'z'.repeat(8000)}` },
      { 'x-api-key': 'wrong' },
      { authorization: key },
    ];
    const bodies = new Set<string>();
    for (const headers of attempts) {
      for (const path of ['/v1/orders', '/v1/orders/batch', '/v1/nope']) {
        const res = await post(
          `${ingest.url}${path}`,
          path.endsWith('batch') ? { orders: [orders[0]] } : orders[0],
          'application/json',
          headers,
        );
        expect({ headers, path, status: res.status }).toEqual({ headers, path, status: 401 });
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="salespipeline-ingest"');
        bodies.add(await res.text());
      }
    }
    expect([...bodies]).toEqual([JSON.stringify({ error: 'unauthorized', message: 'a valid API key is required' })]);
    // Even invalid bodies get a 401 first: nothing is said about the input without a key.
    const garbage = await post(`${ingest.url}/v1/orders`, '{"nope', 'text/plain', {});
    expect(garbage.status).toBe(401);
    expect(await endOffsets(kafka, topic)).toBe(before);
  });

  it('accepts a right key, as a Bearer token or as X-API-Key, for every configured key', async () => {
    const before = await endOffsets(kafka, topic);
    for (const headers of [
      { authorization: `Bearer ${key}` },
      { authorization: `bearer   ${other}` },
      { 'x-api-key': key },
    ]) {
      const res = await post(`${ingest.url}/v1/orders`, order(), 'application/json', headers);
      expect(res.status).toBe(202);
    }
    expect((await endOffsets(kafka, topic)) - before).toBe(3);
  });

  it('keeps health and the OpenAPI document open on the API port, and /metrics only on the ops port', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) {
      expect((await fetch(`${ingest.url}${path}`)).status).toBe(200);
    }
    expect((await fetch(`${ingest.url}/metrics`)).status).toBe(404);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${ingest.opsUrl}${path}`)).status).toBe(200);
    }
    const doc = (await (await fetch(`${ingest.url}/openapi.json`)).json()) as {
      components: { securitySchemes: object };
      paths: Record<string, { post: { responses: object } }>;
    };
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['bearer', 'apiKey']);
    expect(Object.keys(doc.paths['/v1/orders']!.post.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
    const metrics = await (await fetch(`${ingest.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/ingest_orders_rejected_total\{reason="unauthorized",app="ingest"\} \d+/);
  });

  it('answers 403 to a valid key without the scope orders:write; nothing produced', async () => {
    const reader = `auth-test-reader-${'r'.repeat(20)}`;
    const writer = `auth-test-writer-${'w'.repeat(20)}`;
    const scoped = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_API_KEYS: `reader:${reader}:orders:read,writer:${writer}:orders:write,legacy:${key}`,
    });
    try {
      await waitReady(scoped.url, { what: 'ingest ready' });
      const before = await endOffsets(kafka, topic);
      for (const [path, body] of [
        ['/v1/orders', orders[0]],
        ['/v1/orders/batch', { orders: [orders[1]] }],
      ] as const) {
        const res = await post(`${scoped.url}${path}`, body, 'application/json', { 'x-api-key': reader });
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({
          error: 'forbidden',
          message: 'the API key reader lacks the scope orders:write',
        });
      }
      expect(await endOffsets(kafka, topic)).toBe(before);
      for (const k of [writer, key])
        expect((await post(`${scoped.url}/v1/orders`, order(), 'application/json', { 'x-api-key': k })).status).toBe(
          202,
        );
      expect((await endOffsets(kafka, topic)) - before).toBe(2);
      const metrics = await (await fetch(`${scoped.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/ingest_orders_rejected_total\{reason="forbidden",app="ingest"\} 2/);
    } finally {
      await scoped.stop();
    }
  });

  it('answers 429 with Retry-After past the per-key rate, and accepts again after the wait', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await post(`${limited.url}/v1/orders`, order(), 'application/json', { 'x-api-key': key });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(await res.json()).toEqual({ error: 'rate_limited', message: expect.any(String) });
        break; // no request after it takes the token its Retry-After counts on
      }
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toContain(429);
    // The seconds until the next token: at most one token's time, 1 / 0.2.
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(5);
    await sleep(Number(retryAfter) * 1000);
    expect((await post(`${limited.url}/v1/orders`, order(), 'application/json', { 'x-api-key': key })).status).toBe(
      202,
    );
  });

  it('refuses to start with auth required and no key, or with a malformed key list', async () => {
    await expect(startIngest(kafka, { ORDERS_TOPIC: topic, INGEST_API_KEYS: '' })).rejects.toThrow(ConfigError);
    await expect(startIngest(kafka, { ORDERS_TOPIC: topic, INGEST_API_KEYS: 'short:abc' })).rejects.toThrow(
      ConfigError,
    );
  });

  it('with INGEST_AUTH=disabled (local development) accepts requests without a key', async () => {
    const open = await startIngest(kafka, { ORDERS_TOPIC: topic, INGEST_AUTH: 'disabled', INGEST_API_KEYS: '' });
    try {
      await waitReady(open.url, { what: 'ingest ready' });
      expect((await post(`${open.url}/v1/orders`, order(), 'application/json', {})).status).toBe(202);
    } finally {
      await open.stop();
    }
  });
});
