import { describe, expect, it } from '@jest/globals';
import { openApiDocument } from './openapi.js';

describe('openApiDocument', () => {
  it('describes both endpoints with the order schema of the validator', () => {
    const doc = openApiDocument() as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { required?: string[]; additionalProperties?: boolean }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/v1/orders', '/v1/orders/batch']);
    const order = doc.components.schemas.Order!;
    expect(order.additionalProperties).toBe(false);
    expect(order.required).toEqual(
      expect.arrayContaining(['order_id', 'created_at', 'status', 'items', 'grand_total']),
    );
    expect(JSON.stringify(doc)).not.toContain('"$id"');
  });
});
