/** Turns a Kafka message into an order, or the reason it belongs in the dead-letter queue. */
import { validateOrder, type AcceptedOrder } from '@salespipeline/shared';

export type Decoded =
  | { ok: true; order: AcceptedOrder; acceptedAt: number }
  | { ok: false; kind: 'unparsable' | 'invalid'; reason: string };

export function decodeOrder(value: Buffer | null, timestamp: string, defaultCurrency = 'USD'): Decoded {
  if (value === null || value.length === 0) return { ok: false, kind: 'unparsable', reason: 'empty message' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, kind: 'unparsable', reason: `not JSON: ${(err as Error).message}` };
  }
  const acceptedAt = Number(timestamp);
  // The future bound is relative to when the order was accepted, not when it is processed.
  const result = validateOrder(parsed, { now: acceptedAt, defaultCurrency });
  if (!result.ok) {
    const reason = result.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
    return { ok: false, kind: 'invalid', reason: reason.slice(0, 1000) };
  }
  return { ok: true, order: result.order, acceptedAt };
}
