/**
 * Which of a chunk's unapplied messages are counted, and how: pure steps of the processor's batch.
 * 1. `sortMessages`: each message is decoded; one that cannot be (or a sink refused) is a dead
 *    letter, a second copy of an order in the chunk is a duplicate, the rest are the chunk's orders,
 *    each on time, or late when accepted more than the lateness bound after it was created (stored
 *    raw and sent to the late topic, not aggregated).
 * 2. `classifyOrders`: of those, the ones counted by an earlier batch are duplicates; the new ones
 *    are counted, on time or late.
 */
import { decodeOrder } from '@salespipeline/shared';
import type { KafkaMessage } from 'kafkajs';
import type { RawOrder } from './cassandra-sink.js';

export interface DeadLetterCause {
  message: KafkaMessage;
  /** 'unparsable' | 'invalid' from decoding, 'rejected' when a sink refused the message for good. */
  kind: string;
  reason: string;
}

export interface SortedMessages {
  deadLetters: DeadLetterCause[];
  /** The first copy of each order in the chunk, in offset order. */
  orders: NewOrder[];
  /** Further copies of an order in the chunk. */
  duplicates: number;
}

/** `refused`: offset → why a sink refused that message for good; `lateBoundMs`: see LATE_BOUND_MS. */
export function sortMessages(
  messages: KafkaMessage[],
  partition: number,
  refused: ReadonlyMap<string, string>,
  lateBoundMs: number,
): SortedMessages {
  const sorted: SortedMessages = { deadLetters: [], orders: [], duplicates: 0 };
  const seen = new Set<string>();
  for (const message of messages) {
    const refusal = refused.get(message.offset);
    if (refusal !== undefined) {
      sorted.deadLetters.push({ message, kind: 'rejected', reason: refusal });
      continue;
    }
    const decoded = decodeOrder(message);
    if (!decoded.ok) sorted.deadLetters.push({ message, kind: decoded.kind, reason: decoded.reason });
    else if (seen.has(decoded.order.order_id)) sorted.duplicates += 1;
    else {
      seen.add(decoded.order.order_id);
      const createdAt = Date.parse(decoded.order.created_at);
      const lateByMs = decoded.acceptedAt - createdAt;
      sorted.orders.push({
        order: decoded.order,
        createdAt,
        json: decoded.json,
        acceptedAt: decoded.acceptedAt,
        partition,
        offset: message.offset,
        lateByMs,
        late: lateByMs > lateBoundMs,
      });
    }
  }
  return sorted;
}

export interface NewOrder extends RawOrder {
  /** Time from creation to acceptance. */
  lateByMs: number;
  late: boolean;
}

export interface ClassifiedOrders {
  /** Orders not counted before, in offset order: stored raw, each once. */
  counted: NewOrder[];
  onTime: NewOrder[];
  late: NewOrder[];
  /** Orders an earlier batch counted already. */
  duplicates: number;
}

export function classifyOrders(orders: NewOrder[], processedBefore: ReadonlySet<string>): ClassifiedOrders {
  const counted = processedBefore.size === 0 ? orders : orders.filter((o) => !processedBefore.has(o.order.order_id));
  return {
    counted,
    onTime: counted.filter((o) => !o.late),
    late: counted.filter((o) => o.late),
    duplicates: orders.length - counted.length,
  };
}
