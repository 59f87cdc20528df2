/** The ingest API's OpenAPI 3.1 document, built from the same TypeBox schemas the validator uses. */
import { LIMITS, OrderBatchSchema, OrderItemSchema, OrderSchema } from './schema.js';

/** A plain JSON copy of a TypeBox schema (drops its symbols), with refs to components instead of $id. */
const plain = (schema: object): Record<string, unknown> => {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  delete copy.$id;
  return copy;
};

export function openApiDocument(options: { version?: string; serverUrl?: string } = {}): Record<string, unknown> {
  const order = plain(OrderSchema);
  (order.properties as Record<string, unknown>).items = {
    ...(plain(OrderSchema.properties.items) as object),
    items: { $ref: '#/components/schemas/OrderItem' },
  };
  const batch = plain(OrderBatchSchema);
  (batch.properties as Record<string, unknown>).orders = {
    ...(plain(OrderBatchSchema.properties.orders) as object),
    items: { $ref: '#/components/schemas/Order' },
  };
  const json = (schema: object) => ({ 'application/json': { schema } });
  const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });
  const accepted = (description: string) => ({
    description,
    content: json({ $ref: '#/components/schemas/Accepted' }),
  });
  const failures = {
    '400': error('Invalid JSON or an invalid order; `errors` lists each field (with `index` in a batch)'),
    '413': error('Body too large'),
    '415': error('Content-Type is not application/json'),
    '503': {
      ...error('Kafka did not acknowledge in time; nothing was accepted. Retry after the Retry-After header.'),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds' } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'SalesPipeline ingest API',
      version: options.version ?? '0.1.0',
      description:
        'Orders are accepted (202) only once Kafka has acknowledged them (acks=all). `order_id` is the idempotency key.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: {
      '/v1/orders': {
        post: {
          operationId: 'postOrder',
          summary: 'Submit one order',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/Order' }) },
          responses: { '202': accepted('Accepted: stored in Kafka'), ...failures },
        },
      },
      '/v1/orders/batch': {
        post: {
          operationId: 'postOrderBatch',
          summary: `Submit up to ${LIMITS.maxBatch} orders, all or nothing`,
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/OrderBatch' }) },
          responses: { '202': accepted('Accepted: every order stored in Kafka'), ...failures },
        },
      },
    },
    components: {
      schemas: {
        Order: order,
        OrderItem: plain(OrderItemSchema),
        OrderBatch: batch,
        Accepted: {
          type: 'object',
          required: ['accepted'],
          properties: { accepted: { type: 'integer' }, order_ids: { type: 'array', items: { type: 'string' } } },
        },
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: {
            error: {
              type: 'string',
              enum: [
                'invalid_json',
                'invalid_order',
                'too_large',
                'unsupported_media_type',
                'unavailable',
                'not_found',
              ],
            },
            message: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: {
                  index: { type: 'integer', description: 'Position of the order in a batch' },
                  path: { type: 'string', description: 'JSON Pointer of the field' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  };
}
