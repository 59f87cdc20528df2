/**
 * The ingest API's OpenAPI 3.1 document, built from the same TypeBox schemas the validator uses, with
 * patterns every JSON Schema tool reads (PUBLISHED_TEXT_PATTERN) and an example for every operation
 * and response.
 */
import {
  LIMITS,
  OrderBatchSchema,
  OrderItemSchema,
  OrderSchema,
  PUBLISHED_TEXT_PATTERN,
  TEXT_PATTERN,
  type Order,
} from './schema.js';

/** The `error` codes of error bodies. */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_order',
  'too_large',
  'unsupported_media_type',
  'unavailable',
  'not_found',
  'method_not_allowed',
  'unauthorized',
  'forbidden',
  'rate_limited',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a client must do after a 503, in the document and in the 503 body. */
export const RETRY_ADVICE =
  'Some of the orders may be stored: re-send the same request (the same order_id values) after Retry-After; ' +
  'an order_id is counted once however often it is sent.';

/** A plain JSON copy of a TypeBox schema (drops its symbols, publishes portable patterns), without $id. */
const plain = (schema: object): Record<string, unknown> => {
  const copy = JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === 'pattern' && value === TEXT_PATTERN ? PUBLISHED_TEXT_PATTERN : value,
    ),
  ) as Record<string, unknown>;
  delete copy.$id;
  return copy;
};

/** A valid order (its time is in the past, so it stays valid). */
export const EXAMPLE_ORDER: Order = {
  order_id: 'ord-100147443',
  created_at: '2026-03-01T16:59:12+05:00',
  status: 'complete',
  customer_id: 'c-2207',
  payment_method: 'Easypay',
  currency: 'PKR',
  items: [
    { item_id: 'l1', sku: 'BOOK-0451', category: 'Books', price: 12.5, qty_ordered: 2, discount_amount: 1 },
    { item_id: 'l2', sku: 'PEN-0007', category: 'Stationery', price: 1.2, qty_ordered: 10, discount_amount: 0 },
  ],
  grand_total: 36,
};

/** The ingest API's one literal OpenAPI document, read top to bottom like the API: long on purpose. */
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
  const json = (schema: object, example: unknown) => ({ 'application/json': { schema, example } });
  const error = (description: string, example: { error: ErrorCode; message: string; errors?: object[] }) => ({
    description,
    content: json({ $ref: '#/components/schemas/Error' }, example),
  });
  const accepted = (description: string, count: number) => ({
    description,
    content: json({ $ref: '#/components/schemas/Accepted' }, { accepted: count }),
  });
  const failures = (invalid: { index?: number; path: string; message: string }) => ({
    '400': error('Invalid JSON or an invalid order; `errors` lists each field (with `index` in a batch)', {
      error: 'invalid_order',
      message: 'the order is invalid',
      errors: [invalid],
    }),
    '413': error('Body too large', { error: 'too_large', message: 'body larger than 16777216 bytes' }),
    '415': error('Content-Type is not application/json', {
      error: 'unsupported_media_type',
      message: 'Content-Type must be application/json',
    }),
    '503': {
      ...error(`Kafka did not acknowledge every order in time. ${RETRY_ADVICE}`, {
        error: 'unavailable',
        message: `Kafka did not acknowledge within 5000 ms. ${RETRY_ADVICE}`,
      }),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds', example: 2 } },
    },
  });
  const badPrice = { path: '/items/0/price', message: 'must have at most 2 decimals' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'SalesPipeline ingest API',
      version: options.version ?? '0.1.0',
      description:
        'Orders are accepted (202) only once Kafka has acknowledged them (acks=all). `order_id` is the idempotency ' +
        `key: an order is counted once however often it is sent. After a 503, re-send the same request.`,
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: {
      '/v1/orders': {
        post: {
          operationId: 'postOrder',
          summary: 'Submit one order',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/Order' }, EXAMPLE_ORDER) },
          responses: { '202': accepted('Accepted: stored in Kafka', 1), ...failures(badPrice) },
        },
      },
      '/v1/orders/batch': {
        post: {
          operationId: 'postOrderBatch',
          summary: `Submit up to ${LIMITS.maxBatch} orders`,
          description:
            'Validated all or nothing: one invalid order rejects the batch (400) and none is stored. ' +
            '202: every order is stored. 503: the orders go to Kafka in several requests, so some may be ' +
            'stored and others not; re-send the same batch (ids make that safe).',
          requestBody: {
            required: true,
            content: json(
              { $ref: '#/components/schemas/OrderBatch' },
              { orders: [EXAMPLE_ORDER, { ...EXAMPLE_ORDER, order_id: 'ord-100147444', status: 'pending' }] },
            ),
          },
          responses: {
            '202': accepted('Accepted: every order stored in Kafka', 2),
            ...failures({ index: 1, ...badPrice }),
          },
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
            error: { type: 'string', enum: [...ERROR_CODES] },
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
