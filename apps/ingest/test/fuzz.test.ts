/**
 * Fuzzing the ingest API from its own OpenAPI document (GET /openapi.json): valid orders are mutated
 * so that they break the published schema (wrong JSON types per field, missing required and unknown
 * fields, out-of-range and huge numbers, 1e400, strings that break a pattern/enum/length, unicode
 * with lone surrogates and RTL marks, deep nesting, batch edge sizes), and whole bodies are garbled
 * (invalid JSON bytes, wrong content types and encodings, oversized bodies). Every answer must be a
 * 4xx with a JSON {error, message}; never a 5xx, never a dropped connection; the process stays up
 * and the topic's end offsets do not move.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, ensureTopics } from '@salespipeline/shared';
import { orderArbitrary, testInfra, uniqueName, waitReady } from '@salespipeline/shared/testing';
import { authHeaders, endOffsets, startIngest, type RunningIngest } from './helpers.js';

jest.setTimeout(120_000);

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
}
interface OpenApi {
  paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }>;
  components: { schemas: Record<string, Schema> };
}

const MAX_BODY = 256 * 1024;
/** Placeholders replaced by raw JSON text that JSON.stringify cannot produce (1e400 and friends). */
const RAW = '\u0000raw:';
const rawNumbers = ['1e400', '-1e400', '1E308', '-1e308', '123456789012345678901234567890', '1e-400', '-0.0e+999'];

/** Values of every JSON type except `type` (so never valid where the schema wants `type`). */
const wrongType = (type: string | undefined): fc.Arbitrary<unknown> => {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string(), fc.constantFrom('1', '0', 'true', 'null', '', '1e308')),
    number: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.jsonValue(), { maxLength: 3 }),
    object: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  };
  const excluded = type === 'integer' ? ['number'] : type === undefined ? [] : [type];
  return fc.oneof(...Object.entries(all).flatMap(([t, arb]) => (excluded.includes(t) ? [] : [arb])));
};

const nasty = fc.constantFrom(
  '\ud800',
  'a\udfffb',
  '\u202eRTL\u202c',
  '\u05e9\u05dc\u05d5\u05dd',
  '\u0000',
  ' lead',
  'trail ',
  'a\nb',
  'a\r\nb',
  '\ufeff',
  '😀'.repeat(50),
  'x'.repeat(10_000),
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  '{"$gt": ""}',
);

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** True when `s` breaks a constraint of a string schema (so the API must reject it). */
function breaksString(schema: Schema, s: string): boolean {
  const length = [...s].length;
  if (schema.minLength !== undefined && length < schema.minLength) return true;
  if (schema.maxLength !== undefined && length > schema.maxLength) return true;
  if (schema.enum && !schema.enum.includes(s)) return true;
  if (schema.pattern && !new RegExp(schema.pattern, 'u').test(s)) return true;
  if (schema.format === 'date-time' && !(rfc3339.test(s) && !Number.isNaN(Date.parse(s)))) return true;
  return false;
}

/** A value that is invalid where `schema` applies (wrong type, or right type breaking a constraint). */
function invalidFor(schema: Schema, valid: unknown, resolve: (s: Schema) => Schema, depth = 0): fc.Arbitrary<unknown> {
  schema = resolve(schema);
  const options: fc.Arbitrary<unknown>[] = [wrongType(schema.type)];
  switch (schema.type) {
    case 'string':
      if (schema.pattern || schema.enum || schema.format || schema.minLength || schema.maxLength) {
        options.push(
          fc
            .oneof(nasty, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 300 }))
            .map((s) => (breaksString(schema, s) ? s : `\ud800${s}`))
            .filter((s) => breaksString(schema, s)),
        );
      }
      break;
    case 'number':
    case 'integer': {
      const out: fc.Arbitrary<unknown>[] = [fc.constantFrom(...rawNumbers.map((r) => `${RAW}${r}`))];
      if (schema.minimum !== undefined) out.push(fc.double({ max: schema.minimum, maxExcluded: true, noNaN: true }));
      if (schema.maximum !== undefined) out.push(fc.double({ min: schema.maximum, minExcluded: true, noNaN: true }));
      if (schema.type === 'integer') out.push(fc.constantFrom(1.5, 2.25, 9999.999));
      out.push(fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e308'));
      options.push(...out.map((arb) => arb.filter((v) => v !== null)));
      break;
    }
    case 'array': {
      const items = Array.isArray(valid) ? valid : [];
      if (schema.minItems) options.push(fc.constant(items.slice(0, schema.minItems - 1)));
      if (schema.maxItems !== undefined && items.length > 0) {
        options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, (_, i) => items[i % items.length])));
      }
      if (schema.items && items.length > 0 && depth < 4) {
        options.push(
          fc
            .nat({ max: items.length - 1 })
            .chain((i) =>
              invalidFor(schema.items!, items[i], resolve, depth + 1).map((v) =>
                items.map((x, j) => (j === i ? v : x)),
              ),
            ),
        );
      }
      break;
    }
    case 'object': {
      const obj = (valid ?? {}) as Record<string, unknown>;
      const props = Object.keys(schema.properties ?? {});
      if (schema.required?.length) {
        options.push(
          fc
            .constantFrom(...schema.required)
            .map((k) => Object.fromEntries(Object.entries(obj).filter(([x]) => x !== k))),
        );
      }
      if (schema.additionalProperties === false) {
        options.push(
          fc
            .tuple(fc.oneof(fc.string(), nasty), fc.jsonValue({ maxDepth: 2 }))
            .filter(([k]) => !props.includes(k) && k !== '__proto__')
            .map(([k, v]) => ({ ...obj, [k]: v })),
        );
      }
      if (depth < 4 && props.length > 0) {
        options.push(
          fc
            .constantFrom(...props)
            .chain((k) =>
              invalidFor(schema.properties![k]!, obj[k], resolve, depth + 1).map((v) => ({ ...obj, [k]: v })),
            ),
        );
      }
      break;
    }
  }
  // Recursion into fields is the most interesting case: weight it by repeating the last option.
  return fc.oneof(...options, ...(schema.type === 'object' || schema.type === 'array' ? [options.at(-1)!] : []));
}

/** Deeply nested JSON text (a parser must not blow its stack on it). */
const deep = (n: number, open: string, close: string) => `${open.repeat(n)}1${close.repeat(n)}`;

interface Case {
  path: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  what: string;
}

describe('ingest API fuzzed from its OpenAPI document (real Kafka)', () => {
  const infra = testInfra();
  const topic = uniqueName('ingest_fuzz');
  let kafka: Kafka;
  let ingest: RunningIngest;
  let doc: OpenApi;

  beforeAll(async () => {
    kafka = createKafka(infra, createLogger('test', 'warn'));
    await ensureTopics(kafka, topic, { partitions: 2 });
    ingest = await startIngest(kafka, { ORDERS_TOPIC: topic, INGEST_MAX_BODY_BYTES: String(MAX_BODY) });
    await waitReady(ingest.url, { what: 'ingest ready' });
    doc = (await (await fetch(`${ingest.url}/openapi.json`)).json()) as OpenApi;
  });
  afterAll(async () => {
    await ingest?.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('answers every mutated or garbled request with a 4xx and a reason; nothing reaches the topic', async () => {
    const resolve = (s: Schema): Schema =>
      s.$ref ? resolve(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]!) : s;
    const bodySchema = (path: string) => resolve(doc.paths[path]!.post.requestBody.content['application/json']!.schema);
    const single = bodySchema('/v1/orders');
    const batch = bodySchema('/v1/orders/batch');
    expect(single.type).toBe('object');
    expect(batch.properties?.orders?.type).toBe('array');
    const order = orderArbitrary({ idPrefix: 'fz-' });
    const json = (v: unknown) =>
      JSON.stringify(v).replace(new RegExp(`"${RAW.replace('\u0000', '\\\\u0000')}([^"]*)"`, 'g'), '$1');

    const mutatedSingle: fc.Arbitrary<Case> = order.chain((o) =>
      invalidFor(single, o, resolve).map((v) => ({ path: '/v1/orders', body: json(v), what: 'order' })),
    );
    const mutatedInBatch: fc.Arbitrary<Case> = fc
      .tuple(fc.array(order, { minLength: 1, maxLength: 4 }), fc.nat())
      .chain(([orders, at]) => {
        const i = at % orders.length;
        return invalidFor(single, orders[i], resolve).map((v) => ({
          path: '/v1/orders/batch',
          body: json({ orders: orders.map((o, j) => (j === i ? v : o)) }),
          what: `batch, order ${i} broken`,
        }));
      });
    const mutatedBatch: fc.Arbitrary<Case> = fc
      .array(order, { minLength: 1, maxLength: 3 })
      .chain((orders) =>
        invalidFor(batch, { orders }, resolve).map((v) => ({ path: '/v1/orders/batch', body: json(v), what: 'batch' })),
      );
    const endpoint = fc.constantFrom('/v1/orders', '/v1/orders/batch');
    const garbled: fc.Arbitrary<Case> = fc.oneof(
      fc
        .tuple(endpoint, fc.uint8Array({ minLength: 0, maxLength: 2000 }))
        .map(([path, body]) => ({ path, body, what: 'random bytes' })),
      fc.tuple(endpoint, order, fc.nat()).map(([path, o, cut]) => {
        const text = json(path.endsWith('batch') ? { orders: [o] } : o);
        return { path, body: text.slice(0, cut % text.length), what: 'truncated JSON' };
      }),
      fc
        .tuple(endpoint, fc.integer({ min: 1000, max: 100_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']))
        .map(([path, n, [open, close]]) => ({
          path,
          body: deep(n, open!, close!).slice(0, MAX_BODY - 10),
          what: `nesting ${n}`,
        })),
      fc.tuple(endpoint, fc.jsonValue({ maxDepth: 3 })).map(([path, v]) => ({ path, body: json(v), what: 'any JSON' })),
      fc
        .tuple(endpoint, fc.constantFrom('null', '[]', '{}', '""', '1e400', 'true', '\ufeff{}', '{"orders":null}'))
        .map(([path, body]) => ({ path, body, what: `literal ${body}` })),
      fc
        .tuple(
          endpoint,
          order,
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/xml',
            'application/json; charset=utf-16',
            'application/json; charset=klingon',
            '',
          ),
        )
        .map(([path, o, type]) => ({
          path,
          body: json(path.endsWith('batch') ? { orders: [o] } : o),
          headers: { 'content-type': type },
          what: `content type ${type}`,
        })),
      fc
        .tuple(endpoint, order, fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'x-nope'))
        .map(([path, o, enc]) => ({
          path,
          body: json(path.endsWith('batch') ? { orders: [o] } : o),
          headers: { 'content-encoding': enc },
          what: `content encoding ${enc} (body not encoded)`,
        })),
      fc.tuple(endpoint, fc.integer({ min: MAX_BODY + 1, max: MAX_BODY * 3 })).map(([path, size]) => ({
        path,
        body: `{"orders":[],"pad":"${'x'.repeat(size)}"}`,
        what: `oversized ${size}`,
      })),
      fc.tuple(order, fc.constantFrom(0, 1001)).map(([o, n]) => ({
        path: '/v1/orders/batch',
        body: json({ orders: Array.from({ length: n }, (_, i) => ({ ...o, order_id: `fz-edge-${i}` })) }),
        what: `batch of ${n}`,
      })),
    );

    const before = await endOffsets(kafka, topic);
    const seen = new Map<number, number>();
    const codes = new Map<string, number>();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: mutatedSingle, weight: 4 },
          { arbitrary: mutatedInBatch, weight: 2 },
          { arbitrary: mutatedBatch, weight: 1 },
          { arbitrary: garbled, weight: 3 },
        ),
        async (c) => {
          const res = await fetch(`${ingest.url}${c.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...authHeaders, ...c.headers },
            body: c.body,
          });
          const text = await res.text();
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          const code = `${res.status}:${String(/"error":"([a-z_]+)"/.exec(text)?.[1])}`;
          codes.set(code, (codes.get(code) ?? 0) + 1);
          let body: { error?: unknown; message?: unknown } = {};
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            // asserted below
          }
          const ok =
            res.status >= 400 &&
            res.status < 500 &&
            typeof body.error === 'string' &&
            typeof body.message === 'string' &&
            body.message.length > 0;
          if (!ok) throw new Error(`${c.what}: ${res.status} ${text.slice(0, 300)}`);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1500), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`fuzz: ${JSON.stringify(Object.fromEntries(codes))} in ${seconds.toFixed(1)} s\n`);

    expect([...seen.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(codes.get('400:invalid_order')).toBeGreaterThan(500);
    expect(codes.get('400:invalid_json')).toBeGreaterThan(0);
    expect(seen.get(413)).toBeGreaterThan(0);
    expect(seen.get(415)).toBeGreaterThan(0);
    expect((await fetch(`${ingest.url}/healthz`)).status).toBe(200);
    expect(await endOffsets(kafka, topic)).toBe(before);
    // And the API still works: a valid order goes through.
    const [good] = fc.sample(order, 1);
    const res = await fetch(`${ingest.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders },
      body: JSON.stringify(good),
    });
    expect(res.status).toBe(202);
    expect((await endOffsets(kafka, topic)) - before).toBe(1);
  });
});
