/**
 * The pipeline's Kafka topics: the orders topic and the two side topics derived from its name, the
 * dead letters (`.dlq`) and the late orders (`.late`). One plan of names and partitions serves every
 * creator: the operator's KafkaTopics (cdk8s) and ensureTopics here (make dev, the processor's
 * `topics` command, the tests); the apps never rely on broker auto-create.
 */
import type { Kafka } from 'kafkajs';

export type TopicRole = 'orders' | 'dlq' | 'late';

/** Kafka topics derived from the orders topic. */
export const topicsOf = (ordersTopic: string): Record<TopicRole, string> => ({
  orders: ordersTopic,
  dlq: `${ordersTopic}.dlq`,
  late: `${ordersTopic}.late`,
});

export interface PlannedTopic {
  role: TopicRole;
  name: string;
  partitions: number;
}

/**
 * The topics of an orders topic with `partitions` partitions. The side topics carry a fraction of
 * the traffic (a replay of old orders can make all of it late), so they get a quarter of the
 * partitions, at least one.
 */
export function topicPlan(ordersTopic: string, partitions: number): PlannedTopic[] {
  const names = topicsOf(ordersTopic);
  const side = Math.max(1, Math.ceil(partitions / 4));
  return [
    { role: 'orders', name: names.orders, partitions },
    { role: 'dlq', name: names.dlq, partitions: side },
    { role: 'late', name: names.late, partitions: side },
  ];
}

export interface TopicOptions {
  partitions: number;
  replicationFactor?: number;
  /** retention.ms of every topic of the plan. */
  retentionMs?: number;
}

/** Creates the topics of the plan that are missing; returns their names. */
export async function ensureTopics(kafka: Kafka, ordersTopic: string, options: TopicOptions): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const configEntries =
      options.retentionMs === undefined
        ? []
        : [{ name: 'retention.ms', value: String(Math.round(options.retentionMs)) }];
    const wanted = topicPlan(ordersTopic, options.partitions).filter((t) => !existing.has(t.name));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries,
        })),
      });
    }
    return wanted.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}
