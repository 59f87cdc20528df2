/**
 * The order model: one TypeBox schema is the source of the TypeScript types, the ajv validator and
 * the OpenAPI document. Money is sent as JSON numbers with at most 2 decimals and handled in integer
 * cents everywhere after validation (see money.ts), so sums are exact.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ORDER_STATUSES = [
  'pending',
  'processing',
  'received',
  'complete',
  'closed',
  'canceled',
  'refund',
  'order_refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Bounds that keep the sums of cents of one order safe integers (100 lines × 10^4 qty × 10^9 cents < 2^53). */
export const LIMITS = {
  maxItems: 100,
  maxPrice: 10_000_000,
  maxQty: 10_000,
  maxBatch: 1000,
  maxFutureMs: 5 * 60_000,
} as const;

/** JavaScript's `\s`, spelled out so that every regex dialect reads the patterns alike. */
const WHITESPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * No leading/trailing whitespace, no line breaks and no lone UTF-16 surrogates: values become keys in
 * MySQL (where trailing spaces compare equal) and must be valid UTF-8 in every store.
 */
export const TEXT_PATTERN = `^[^${WHITESPACE}\\p{Cs}](?:[^\\r\\n\\p{Cs}]*[^${WHITESPACE}\\p{Cs}])?$`;
/**
 * TEXT_PATTERN as the OpenAPI document publishes it: without the Unicode property escape `\p{Cs}`, which
 * most JSON Schema tools cannot read. A lone surrogate is no valid Unicode text for them anyway; the
 * validator still rejects it.
 */
export const PUBLISHED_TEXT_PATTERN = `^[^${WHITESPACE}](?:[^\\r\\n]*[^${WHITESPACE}])?$`;
const text = (maxLength: number, description: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: TEXT_PATTERN,
    description: `${description}; no leading or trailing whitespace, no line breaks, no lone surrogates`,
  });
const money = (description: string, maximum: number) =>
  Type.Number({ minimum: 0, maximum, description: `${description}; at most 2 decimals` });

export const OrderItemSchema = Type.Object(
  {
    item_id: text(64, 'Line identifier'),
    sku: text(128, 'Product SKU'),
    category: text(128, 'Product category'),
    price: money('Unit price', LIMITS.maxPrice),
    qty_ordered: Type.Integer({ minimum: 1, maximum: LIMITS.maxQty, description: 'Quantity ordered' }),
    discount_amount: money('Discount on the line (not per unit)', LIMITS.maxPrice * LIMITS.maxQty),
  },
  { additionalProperties: false, $id: 'OrderItem' },
);

export const OrderSchema = Type.Object(
  {
    order_id: Type.String({
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      description: 'Unique order id, the idempotency key: re-sending it changes nothing',
    }),
    created_at: Type.String({
      format: 'date-time',
      description: 'Event time, RFC 3339 with offset; at most 5 minutes in the future',
    }),
    status: Type.Unsafe<OrderStatus>(Type.String({ enum: [...ORDER_STATUSES], description: 'Order status' })),
    customer_id: text(64, 'Customer identifier'),
    payment_method: text(64, 'Payment method'),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code; the server default when absent' }),
    ),
    items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: LIMITS.maxItems, description: 'Order lines' }),
    grand_total: money('Σ(price × qty_ordered − discount_amount), within 0.01', LIMITS.maxPrice * LIMITS.maxQty * 100),
  },
  { additionalProperties: false, $id: 'Order' },
);

export const OrderBatchSchema = Type.Object(
  { orders: Type.Array(OrderSchema, { minItems: 1, maxItems: LIMITS.maxBatch }) },
  { additionalProperties: false, $id: 'OrderBatch' },
);

export type OrderItem = Static<typeof OrderItemSchema>;
export type Order = Static<typeof OrderSchema>;
export type OrderBatch = Static<typeof OrderBatchSchema>;
/** An order as it travels on Kafka: currency always set. */
export type AcceptedOrder = Order & { currency: string };

export interface ValidationIssue {
  /** JSON Pointer into the order (or the request body), e.g. /items/2/price. */
  path: string;
  message: string;
}
