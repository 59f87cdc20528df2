/**
 * The stream processor: a kafkajs consumer group; each partition batch is decoded, deduplicated,
 * written raw to Cassandra, and its aggregate deltas and offset committed to MySQL in one
 * transaction (see mysql-sink.ts). A failing sink pauses the partition and the batch is retried
 * with backoff until it succeeds; nothing is skipped.
 */
import type { Server } from 'node:http';
import type cassandra from 'cassandra-driver';
import { Partitioners, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import type mysql from 'mysql2/promise';
import type { Registry } from 'prom-client';
import {
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  createRegistry,
  startOpsServer,
  topicsOf,
  type ConfigOf,
  type Logger,
} from '@salespipeline/shared';
import { aggregate, minuteOf } from './aggregate.js';
import { CassandraSink, type RawOrder } from './cassandra-sink.js';
import type { processorSpec } from './config.js';
import { decodeOrder } from './decode.js';
import { migrateCassandra, migrateMysql } from './migrate.js';
import { processorMetrics, type ProcessorMetrics } from './metrics.js';
import { MysqlSink, type ProcessedOrder } from './mysql-sink.js';

export type ProcessorConfig = ConfigOf<typeof processorSpec>;

export interface RunningProcessor {
  /** Finishes the batch in flight (it commits), leaves the group and closes every client. */
  stop: () => Promise<void>;
  ops: Server;
  opsUrl: string;
  metrics: ProcessorMetrics;
  registry: Registry;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Step {
  name: 'mysql' | 'cassandra' | 'kafka';
}

export async function startProcessor(
  config: ProcessorConfig,
  deps: { logger?: Logger; registry?: Registry; migrate?: boolean } = {},
): Promise<RunningProcessor> {
  const logger = deps.logger ?? createLogger('processor');
  const registry = deps.registry ?? createRegistry('processor');
  const metrics = processorMetrics(registry);
  const topics = topicsOf(config.ordersTopic);

  const kafka = createKafka(config, logger);
  const cassandraClient: cassandra.Client = createCassandraClient(config);
  const pool: mysql.Pool = createMysqlPool(config, { connectionLimit: config.mysqlPoolSize });
  if (deps.migrate ?? true) {
    await migrateMysql(pool, logger);
    await migrateCassandra(cassandraClient, config.cassandraKeyspace, config.cassandraReplication, logger);
  }
  const cassandraSink = new CassandraSink(cassandraClient, config.cassandraKeyspace, {
    concurrency: config.cassandraConcurrency,
    hourBatchRows: config.cassandraHourBatchRows,
  });
  const mysqlSink = new MysqlSink(pool);

  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: config.fetchMaxWaitMs,
    maxBytesPerPartition: config.maxBytesPerPartition,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
  });

  let stopping = false;
  let joined = false;
  let alive = true;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    const assigned = payload.memberAssignment[topics.orders] ?? [];
    logger.info({ partitions: assigned }, 'partitions assigned');
    // Resume each partition from the offset stored with the aggregates. (A batch fetched before
    // the seek lands is harmless: the transaction's fence skips what was applied.)
    mysqlSink.ensurePartitions(topics.orders, assigned).then(
      (offsets) => {
        for (const partition of assigned) {
          const offset = offsets.get(partition) ?? 0n;
          consumer.seek({ topic: topics.orders, partition, offset: offset.toString() });
        }
      },
      (err: unknown) => logger.warn({ err: String(err) }, 'could not read stored offsets; the fence still applies'),
    );
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: String(payload.error), restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) alive = false;
  });

  const timed = async <T>(step: Step['name'], fn: () => Promise<T>): Promise<T> => {
    const end = metrics.sinkDuration.startTimer({ sink: step });
    try {
      return await fn();
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { step });
    } finally {
      end();
    }
  };

  const originHeaders = (partition: number, m: KafkaMessage) => ({
    'origin-topic': topics.orders,
    'origin-partition': String(partition),
    'origin-offset': m.offset,
    'origin-timestamp': m.timestamp,
  });

  /** Applies one chunk of a partition's messages, exactly once. */
  async function apply(partition: number, chunk: KafkaMessage[]): Promise<void> {
    const endBatch = metrics.batchDuration.startTimer();
    const first = BigInt(chunk[0]!.offset);
    const last = BigInt(chunk[chunk.length - 1]!.offset);
    const open = await timed('mysql', () => mysqlSink.begin(topics.orders, partition));
    let committed = false;
    try {
      if (open.nextOffset > last) {
        metrics.fenced.inc(chunk.length);
        return;
      }
      if (open.nextOffset < first && open.nextOffset > 0n) {
        logger.warn({ partition, stored: String(open.nextOffset), first: String(first) }, 'offset gap (retention?)');
      }
      const fresh = chunk.filter((m) => BigInt(m.offset) >= open.nextOffset);
      metrics.fenced.inc(chunk.length - fresh.length);

      const dlq: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }> = [];
      const candidates: RawOrder[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      for (const m of fresh) {
        const d = decodeOrder(m.value, m.timestamp);
        if (!d.ok) {
          metrics.dlq.inc({ kind: d.kind });
          dlq.push({ key: m.key, value: m.value, headers: { ...originHeaders(partition, m), 'dlq-reason': d.reason } });
        } else if (seen.has(d.order.order_id)) duplicates += 1;
        else {
          seen.add(d.order.order_id);
          candidates.push({ order: d.order, acceptedAt: d.acceptedAt, partition, offset: m.offset });
        }
      }
      const existing = await timed('mysql', () => open.alreadyProcessed([...seen]));
      duplicates += existing.size;
      const fresher = candidates.filter((c) => !existing.has(c.order.order_id));
      const isLate = (c: RawOrder) => c.acceptedAt - Date.parse(c.order.created_at) > config.lateBoundMs;
      const late = fresher.filter(isLate);
      const onTime = fresher.filter((c) => !isLate(c));

      await timed('cassandra', () => cassandraSink.write(fresher));
      if (dlq.length > 0 || late.length > 0) {
        await timed('kafka', () =>
          producer.sendBatch({
            acks: -1,
            topicMessages: [
              ...(dlq.length ? [{ topic: topics.dlq, messages: dlq }] : []),
              ...(late.length
                ? [
                    {
                      topic: topics.late,
                      messages: late.map((c) => ({
                        key: c.order.order_id,
                        value: JSON.stringify(c.order),
                        headers: {
                          'origin-topic': topics.orders,
                          'origin-partition': String(partition),
                          'origin-offset': c.offset,
                          'late-by-ms': String(c.acceptedAt - Date.parse(c.order.created_at)),
                        },
                      })),
                    },
                  ]
                : []),
            ],
          }),
        );
      }
      const processed: ProcessedOrder[] = fresher.map((c) => ({
        orderId: c.order.order_id,
        partition,
        offset: c.offset,
        minute: minuteOf(c.order.created_at),
        late: isLate(c),
        acceptedAt: c.acceptedAt,
      }));
      const rows = aggregate(onTime.map((c) => c.order));
      await timed('mysql', () => open.commit(processed, rows, last + 1n));
      committed = true;

      const now = Date.now();
      for (const c of onTime) metrics.freshness.observe((now - c.acceptedAt) / 1000);
      metrics.processed.inc(fresher.length);
      metrics.duplicates.inc(duplicates);
      metrics.late.inc(late.length);
      metrics.batchSize.observe(chunk.length);
    } finally {
      if (!committed) await open.rollback().catch(() => undefined);
      endBatch();
    }
  }

  /** Retries a chunk until it is applied; false when the partition was lost or we are stopping. */
  async function applyWithRetry(payload: EachBatchPayload, chunk: KafkaMessage[]): Promise<boolean> {
    const { batch } = payload;
    let delay = 100;
    let resume: (() => void) | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await apply(batch.partition, chunk);
        if (resume) {
          resume();
          metrics.paused.dec();
          logger.info({ partition: batch.partition, attempt }, 'sinks back: partition resumed');
        }
        return true;
      } catch (err) {
        const step = (err as { step?: string }).step ?? 'unknown';
        metrics.sinkErrors.inc({ sink: step });
        logger.warn({ err: String(err), step, partition: batch.partition, attempt, retryInMs: delay }, 'batch failed');
        if (!resume) {
          resume = payload.pause();
          metrics.paused.inc();
        }
      }
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (stopping || !payload.isRunning() || payload.isStale()) {
          // Unpause: whoever reads the partition next starts from the stored offset.
          resume();
          metrics.paused.dec();
          return false;
        }
        await payload.heartbeat().catch(() => undefined);
        await sleep(Math.min(500, until - Date.now()));
      }
      delay = Math.min(delay * 2, config.retryMaxMs);
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topic: topics.orders, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.partitionsConcurrently,
    eachBatch: async (payload) => {
      const { batch } = payload;
      metrics.consumed.inc(batch.messages.length);
      for (let i = 0; i < batch.messages.length; i += config.maxBatch) {
        if (!payload.isRunning() || payload.isStale()) return;
        const chunk = batch.messages.slice(i, i + config.maxBatch);
        if (!(await applyWithRetry(payload, chunk))) return;
        const lastOffset = chunk[chunk.length - 1]!.offset;
        payload.resolveOffset(lastOffset);
        const next = (BigInt(lastOffset) + 1n).toString();
        metrics.lag.set(
          { partition: String(batch.partition) },
          Math.max(0, Number(batch.highWatermark) - Number(next)),
        );
        // Only a hint for tools: the offset that counts is the one in MySQL.
        consumer
          .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
          .catch((err: unknown) => logger.debug({ err: String(err) }, 'offset hint not committed'));
        await payload.heartbeat().catch(() => undefined);
        if (stopping) return;
      }
    },
  });

  const ops = await startOpsServer({
    registry,
    logger,
    port: config.opsPort,
    host: config.opsHost,
    alive: () => alive,
    checks: [
      { name: 'mysql', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'cassandra', check: async () => void (await cassandraClient.execute('SELECT key FROM system.local')) },
      {
        name: 'kafka',
        check: async () => {
          if (!joined) throw new Error('not in the consumer group yet');
        },
      },
    ],
  });
  const address = ops.address();
  const opsUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.opsPort}`;
  logger.info({ topic: topics.orders, group: config.groupId, ops: opsUrl }, 'processor running');

  return {
    ops,
    opsUrl,
    metrics,
    registry,
    stop: async () => {
      stopping = true;
      await consumer.disconnect();
      await producer.disconnect();
      await new Promise<void>((r) => {
        ops.close(() => r());
        ops.closeAllConnections();
      });
      await pool.end();
      await cassandraClient.shutdown();
      logger.info('processor stopped');
    },
  };
}
