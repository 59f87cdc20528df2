/**
 * Deletes order ids older than the retention from processed_orders, in small chunks. The retention
 * is checked against the orders topic's configuration at start-up (a retention that is too short
 * refuses to start) and again before every pass (the topic may have been reconfigured since: the
 * pass is then skipped and logged as an error).
 */
import kafkajs, { type Kafka } from 'kafkajs';
import type { ResultSetHeader } from 'mysql2';
import { LIMITS, type Logger } from '@salespipeline/shared';
import type { MysqlSink } from './mysql-sink.js';
import { redeliveryWindowMs, retentionPlan, type RetentionPlan, type TopicRetention } from './retention.js';

const CHUNK = 5000;

export async function topicRetention(kafka: Kafka, topic: string): Promise<TopicRetention> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'segment.ms'] },
      ],
    });
    const value = (name: string) => {
      const entry = resources[0]?.configEntries.find((e) => e.configName === name);
      if (!entry) throw new Error(`topic ${topic} has no ${name}`);
      return Number(entry.configValue);
    };
    return { retentionMs: value('retention.ms'), segmentMs: value('segment.ms') };
  } finally {
    await admin.disconnect();
  }
}

export async function planRetention(
  kafka: Kafka,
  topic: string,
  config: { processedRetentionMs: number; lateBoundMs: number },
): Promise<RetentionPlan> {
  if (config.processedRetentionMs === -1) return { prune: false };
  const window = redeliveryWindowMs(await topicRetention(kafka, topic), {
    lateBoundMs: config.lateBoundMs,
    maxFutureMs: LIMITS.maxFutureMs,
  });
  return retentionPlan(config.processedRetentionMs, window);
}

/** Deletes ids processed more than `retentionMs` ago; returns how many. */
export async function pruneProcessed(sink: MysqlSink, retentionMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await sink.statement<ResultSetHeader>(
      'DELETE FROM processed_orders WHERE processed_at < NOW(3) - INTERVAL ? MICROSECOND ORDER BY processed_at LIMIT ?',
      [retentionMs * 1000, CHUNK],
    );
    total += res.affectedRows;
    if (res.affectedRows < CHUNK) return total;
  }
}

/** Prunes every `intervalMs` until stopped; `plan` is re-checked before each pass. */
export function startPruner(opts: {
  intervalMs: number;
  plan: () => Promise<RetentionPlan>;
  prune: (retentionMs: number) => Promise<number>;
  onPruned: (rows: number) => void;
  logger: Logger;
}): { stop: () => Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async () => {
    try {
      const plan = await opts.plan();
      if (plan.prune) {
        const pruned = await opts.prune(plan.retentionMs);
        opts.onPruned(pruned);
        if (pruned > 0) opts.logger.info({ pruned, retentionMs: plan.retentionMs }, 'old order ids pruned');
      }
    } catch (err) {
      opts.logger.error({ err: String(err) }, 'processed_orders not pruned');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, opts.intervalMs);
    timer.unref();
  };
  running = pass().finally(schedule);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
