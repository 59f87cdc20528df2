/**
 * Messages for the dead-letter and late topics. They are produced before the batch's MySQL commit,
 * so a failed commit (or a crash before it) produces them again when the batch is retried: every
 * copy is identical — same key, value and headers — and `origin-id` names the orders message
 * exactly (topic/partition/offset, and how often the topic was recreated: offsets then start over),
 * so a consumer keeps the first message per origin-id.
 */
import type { AcceptedOrder } from '@salespipeline/shared';

export interface Origin {
  topic: string;
  partition: number;
  offset: string;
  /** Times the partition's topic was found recreated (see offset-check.ts). */
  resets: number;
}

export interface SideMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}

export const originId = ({ topic, partition, offset, resets }: Origin): string =>
  `${topic}/${partition}/${offset}/${resets}`;

const originHeaders = (origin: Origin): Record<string, string> => ({
  'origin-id': originId(origin),
  'origin-topic': origin.topic,
  'origin-partition': String(origin.partition),
  'origin-offset': origin.offset,
});

/** The orders message as it was, with why it cannot be counted. */
export function deadLetter(
  origin: Origin,
  message: { key: Buffer | null; value: Buffer | null; timestamp: string },
  kind: string,
  reason: string,
): SideMessage {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...originHeaders(origin),
      'origin-timestamp': message.timestamp,
      'dlq-kind': kind,
      'dlq-reason': reason,
    },
  };
}

/** An order beyond the lateness bound: stored raw, not aggregated. */
export function lateOrder(origin: Origin, order: AcceptedOrder, lateByMs: number): SideMessage {
  return {
    key: order.order_id,
    value: JSON.stringify(order),
    headers: { ...originHeaders(origin), 'late-by-ms': String(lateByMs) },
  };
}
