import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { schemaChecker, type DocumentedMedia } from '../testing/openapi.js';
import { EXAMPLE_ORDER, openApiDocument, RETRY_ADVICE } from './openapi.js';
import { PUBLISHED_TEXT_PATTERN, TEXT_PATTERN } from './schema.js';
import { validateBatch, validateOrder } from './validate.js';

interface Operation {
  requestBody: { content: Record<string, DocumentedMedia> };
  responses: Record<string, { description: string; content: Record<string, DocumentedMedia> }>;
}
interface Doc {
  openapi: string;
  paths: Record<string, { post: Operation }>;
  components: { schemas: Record<string, { required?: string[]; additionalProperties?: boolean }> };
}
const doc = openApiDocument() as unknown as Doc;

describe('openApiDocument', () => {
  it('describes both endpoints with the order schema of the validator', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/v1/orders', '/v1/orders/batch']);
    const order = doc.components.schemas.Order!;
    expect(order.additionalProperties).toBe(false);
    expect(order.required).toEqual(
      expect.arrayContaining(['order_id', 'created_at', 'status', 'items', 'grand_total']),
    );
    expect(JSON.stringify(doc)).not.toContain('"$id"');
  });

  it('publishes only patterns that plain ECMA-262 and other dialects read (no \\p{...})', () => {
    const patterns = [...JSON.stringify(doc).matchAll(/"pattern":("(?:[^"\\]|\\.)*")/g)].map(
      (m) => JSON.parse(m[1]!) as string,
    );
    expect(patterns).toContain(PUBLISHED_TEXT_PATTERN);
    for (const pattern of patterns) {
      expect(pattern).not.toMatch(/\\[pP]\{/);
      expect(() => new RegExp(pattern)).not.toThrow();
    }
  });

  it('publishes a text pattern that differs from the validator only on lone surrogates (property)', () => {
    const strict = new RegExp(TEXT_PATTERN, 'u');
    const published = new RegExp(PUBLISHED_TEXT_PATTERN);
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', ' ', '\n', '\r', '\t', '\u00a0', '\ufeff', '🎁', '\u2028', '\u0085', 'é'),
        }),
        (s) => {
          expect(published.test(s)).toBe(strict.test(s));
        },
      ),
      { numRuns: 2000 },
    );
    expect([strict.test('a\ud800'), published.test('a\ud800')]).toEqual([false, true]);
  });

  it('has examples that the API accepts and that match their schemas', () => {
    const orders = doc.paths['/v1/orders']!.post;
    const batches = doc.paths['/v1/orders/batch']!.post;
    expect(validateOrder(orders.requestBody.content['application/json']!.example).ok).toBe(true);
    expect(validateOrder(structuredClone(EXAMPLE_ORDER)).ok).toBe(true);
    expect(validateBatch(batches.requestBody.content['application/json']!.example).ok).toBe(true);
    const check = schemaChecker(doc);
    for (const op of [orders, batches]) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content['application/json']!;
        expect({ status, errors: check(media, media.example) }).toEqual({ status, errors: null });
      }
    }
  });

  it('tells a client what to do after a 503', () => {
    for (const path of Object.values(doc.paths)) {
      expect(path.post.responses['503']!.description).toContain(RETRY_ADVICE);
    }
  });
});
