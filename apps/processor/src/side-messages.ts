/**
 * Messages for the dead-letter and late topics. They are produced before the batch's MySQL commit,
 * so a failed commit (or a crash before it) produces them again when the batch is retried: every
 * copy is identical — same key, value and headers — and `origin-id` names the orders message
 * exactly (topic/partition/offset, and how often the topic was recreated: offsets then start over),
 * so a consumer keeps the first message per origin-id.
 */
import { encodeOrder, type AcceptedOrder, type topicsOf } from '@salespipeline/shared';
import type { TopicMessages } from 'kafkajs';
import type { DeadLetterCause, NewOrder } from './classify.js';

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
    ...encodeOrder(order),
    headers: { ...originHeaders(origin), 'late-by-ms': String(lateByMs) },
  };
}

/** A chunk's messages for the side topics, none for a topic without any. */
export function sideTopicMessages(
  topics: ReturnType<typeof topicsOf>,
  partition: number,
  resets: number,
  deadLetters: DeadLetterCause[],
  late: NewOrder[],
): TopicMessages[] {
  const origin = (offset: string): Origin => ({ topic: topics.orders, partition, offset, resets });
  const sent: TopicMessages[] = [];
  if (deadLetters.length > 0) {
    sent.push({
      topic: topics.dlq,
      messages: deadLetters.map((d) => deadLetter(origin(d.message.offset), d.message, d.kind, d.reason)),
    });
  }
  if (late.length > 0) {
    sent.push({ topic: topics.late, messages: late.map((o) => lateOrder(origin(o.offset), o.order, o.lateByMs)) });
  }
  return sent;
}
