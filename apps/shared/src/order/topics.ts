/**
 * Creates the orders topic and its derived topics (`.dlq`, `.late`) when missing. The platform
 * (make up, the operator, tests) calls it; the apps never rely on broker auto-create.
 */
import type { Kafka } from 'kafkajs';
import { topicsOf } from './storage.js';

export interface TopicPlan {
  partitions: number;
  replicationFactor?: number;
  /** retention.ms of the orders topic; the DLQ and late topics keep messages 4× longer. */
  retentionMs?: number;
}

export async function ensureTopics(kafka: Kafka, ordersTopic: string, plan: TopicPlan): Promise<string[]> {
  const names = topicsOf(ordersTopic);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const retention = (ms: number | undefined) =>
      ms === undefined ? [] : [{ name: 'retention.ms', value: String(Math.round(ms)) }];
    const wanted = [
      { topic: names.orders, numPartitions: plan.partitions, configEntries: retention(plan.retentionMs) },
      {
        topic: names.dlq,
        numPartitions: 1,
        configEntries: retention(plan.retentionMs && plan.retentionMs * 4),
      },
      { topic: names.late, numPartitions: 1, configEntries: retention(plan.retentionMs && plan.retentionMs * 4) },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({ ...t, replicationFactor: plan.replicationFactor ?? 1 })),
      });
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
