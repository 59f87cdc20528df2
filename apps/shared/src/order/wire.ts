/**
 * The orders topic's records: the contract between ingest, which writes them, and the processor,
 * which reads them.
 * - key: the order_id, so that every copy of an order lands on the same partition (murmur2, as the
 *   Java clients) and the processor's per-partition dedupe sees them all;
 * - value: the accepted order as JSON, its currency set;
 * - timestamp: when ingest handed the order to Kafka, its acceptance time. The processor measures
 *   lateness from it, and validates `created_at`'s future bound against it, not against the time
 *   it happens to process the record.
 */
import type { AcceptedOrder } from './schema.js';
import { validateOrder } from './validate.js';

export interface OrderRecord {
  key: string;
  value: string;
}

/** An order's record; the timestamp is stamped when it is sent (`stampAccepted`). */
export const encodeOrder = (order: AcceptedOrder): OrderRecord => ({
  key: order.order_id,
  value: JSON.stringify(order),
});

/** The record as sent to Kafka, accepted at `acceptedAtMs`. */
export const stampAccepted = (record: OrderRecord, acceptedAtMs: number): OrderRecord & { timestamp: string } => ({
  key: record.key,
  value: record.value,
  timestamp: String(acceptedAtMs),
});

export type DecodedOrder =
  | {
      ok: true;
      order: AcceptedOrder;
      acceptedAt: number;
      /** JSON bytes that parse to `order`: the record's own value unless validation set the currency. */
      json: Buffer;
    }
  | { ok: false; kind: 'unparsable' | 'invalid'; reason: string };

/** An orders record as read: the order and its acceptance time, or why it cannot be counted. */
export function decodeOrder(record: { value: Buffer | null; timestamp: string }): DecodedOrder {
  const { value } = record;
  if (value === null || value.length === 0) return { ok: false, kind: 'unparsable', reason: 'empty message' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, kind: 'unparsable', reason: `not JSON: ${(err as Error).message}` };
  }
  const acceptedAt = Number(record.timestamp);
  const hadCurrency = (parsed as { currency?: unknown } | null)?.currency !== undefined;
  const result = validateOrder(parsed, { now: acceptedAt });
  if (!result.ok) {
    const reason = result.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
    return { ok: false, kind: 'invalid', reason: reason.slice(0, 1000) };
  }
  // A valid order has no other properties (additionalProperties: false), so its own bytes parse to it.
  const json = hadCurrency ? value : Buffer.from(JSON.stringify(result.order));
  return { ok: true, order: result.order, acceptedAt, json };
}
