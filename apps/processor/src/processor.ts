/**
 * The stream processor: a kafkajs consumer group; each partition batch is applied chunk by chunk,
 * exactly once (chunk-applier.ts): decoded, deduplicated, written raw to Cassandra, and its
 * aggregate deltas and offset committed to MySQL in one transaction (see mysql-sink.ts). A sink
 * that is down or hangs (every request has a timeout) pauses the partition and the chunk is
 * retried with backoff until it succeeds; nothing is skipped. A message a sink refuses for good
 * (sink-errors.ts) goes to the dead-letter topic with the reason.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type cassandra from 'cassandra-driver';
import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type mysql from 'mysql2/promise';
import type { Registry } from 'prom-client';
import {
  cassandraReadiness,
  closeServer,
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  createRegistry,
  mysqlReadiness,
  startOpsServer,
  topicsOf,
  type ConfigOf,
  type Logger,
  type ReadinessCheck,
} from '@salespipeline/shared';
import { patchCassandraFrameWriter } from './cassandra-frame-writer.js';
import { CassandraSink } from './cassandra-sink.js';
import { ChunkApplier } from './chunk-applier.js';
import type { processorSpec } from './config.js';
import { migrateCassandra, migrateMysql } from './migrate.js';
import { processorMetrics, type ProcessorMetrics } from './metrics.js';
import { MysqlSink } from './mysql-sink.js';
import { OffsetHints } from './offset-hints.js';
import { planRetention, pruneProcessed, startPruner } from './pruner.js';
import { classifySinkError, sinkErrorReason } from './sink-errors.js';
import { stepOf } from './step.js';

export type ProcessorConfig = ConfigOf<typeof processorSpec>;

export interface RunningProcessor {
  /** Finishes the batch in flight (it commits), leaves the group and closes every client. */
  stop: () => Promise<void>;
  ops: Server;
  opsUrl: string;
  metrics: ProcessorMetrics;
  registry: Registry;
}

type Topics = ReturnType<typeof topicsOf>;

interface Stores {
  cassandraClient: cassandra.Client;
  pool: mysql.Pool;
  cassandraSink: CassandraSink;
  mysqlSink: MysqlSink;
}

async function openStores(config: ProcessorConfig, logger: Logger, migrate: boolean): Promise<Stores> {
  patchCassandraFrameWriter();
  const cassandraClient = createCassandraClient(config, { readTimeoutMs: config.sinkTimeoutMs });
  const pool = createMysqlPool(config, { connectionLimit: config.mysqlPoolSize, multipleStatements: true });
  if (migrate) {
    await migrateMysql(pool, logger);
    await migrateCassandra(cassandraClient, config.cassandraKeyspace, config.cassandraReplication, logger);
  }
  const cassandraSink = new CassandraSink(cassandraClient, config.cassandraKeyspace, {
    concurrency: config.cassandraConcurrency,
    hourBatchRows: config.cassandraHourBatchRows,
    idBatchRows: config.cassandraIdBatchRows,
  });
  return { cassandraClient, pool, cassandraSink, mysqlSink: new MysqlSink(pool, config.sinkTimeoutMs) };
}

function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

function createConsumer(kafka: Kafka, config: ProcessorConfig): Consumer {
  return kafka.consumer({
    groupId: config.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: config.fetchMaxWaitMs,
    minBytes: config.fetchMinBytes,
    maxBytesPerPartition: config.maxBytesPerPartition,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.round(config.sessionTimeoutMs / 10),
  });
}

/** The partition's log end offset, asked now. */
async function logEndOffset(kafka: Kafka, topic: string, partition: number): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
  } finally {
    await admin.disconnect();
  }
}

interface GroupState {
  joined: boolean;
  alive: boolean;
}

/**
 * Follows the consumer's group membership. On each assignment every partition resumes from the
 * offset stored with the aggregates, one message back: that message proves the partition is the
 * one the offset belongs to (offset-check.ts). (A batch fetched before the seek lands is harmless:
 * the transaction's fence skips what was applied.)
 */
function followGroup(
  consumer: Consumer,
  mysqlSink: MysqlSink,
  hints: OffsetHints,
  topics: Topics,
  metrics: ProcessorMetrics,
  logger: Logger,
): GroupState {
  const state: GroupState = { joined: false, alive: true };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    state.joined = true;
    const assigned = payload.memberAssignment[topics.orders] ?? [];
    hints.retain(assigned);
    metrics.groupJoins.inc();
    metrics.assigned.set(assigned.length);
    logger.info({ partitions: assigned }, 'partitions assigned');
    mysqlSink.ensurePartitions(topics.orders, assigned).then(
      (offsets) => {
        try {
          for (const partition of assigned) {
            const offset = offsets.get(partition) ?? 0n;
            consumer.seek({ topic: topics.orders, partition, offset: (offset > 0n ? offset - 1n : 0n).toString() });
          }
        } catch (err) {
          // The consumer stopped (or restarts) meanwhile: its next assignment seeks again.
          logger.info({ err: String(err) }, 'stored offsets not applied');
        }
      },
      (err: unknown) => logger.warn({ err: String(err) }, 'could not read stored offsets; the fence still applies'),
    );
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: String(payload.error), restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) state.alive = false;
  });
  return state;
}

interface RetryContext {
  applier: ChunkApplier;
  hints: OffsetHints;
  metrics: ProcessorMetrics;
  logger: Logger;
  retryMaxMs: number;
  stopping: () => boolean;
}

/**
 * Retries a chunk until it is applied; false when the partition was lost or we are stopping.
 * A permanent sink error is narrowed down to its message (the chunk is applied one message at a
 * time), which is then dead-lettered. A failed heartbeat (a rebalance, or this member was
 * expelled) is thrown so that kafkajs rejoins the group: a member waiting for its sinks must not
 * hold up everyone else's rebalance.
 */
async function applyWithRetry(
  ctx: RetryContext,
  payload: EachBatchPayload,
  messages: KafkaMessage[],
): Promise<boolean> {
  const { batch } = payload;
  const { metrics, logger } = ctx;
  const refused = new Map<string, string>();
  let delay = 100;
  let resume: (() => void) | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const chunk = { partition: batch.partition, messages, highWatermark: batch.highWatermark, refused };
        if ((await ctx.applier.apply(chunk)) === 'reset') return false;
        if (resume) logger.info({ partition: batch.partition, attempt }, 'sinks back: partition resumed');
        return true;
      } catch (err) {
        const step = stepOf(err);
        metrics.sinkErrors.inc({ sink: step });
        // (Refused again once dead-lettered: then it is the dead-letter topic failing; retry that.)
        if (classifySinkError(err) === 'permanent' && !(messages.length === 1 && refused.has(messages[0]!.offset))) {
          if (messages.length > 1) {
            logger.warn(
              { err: String(err), step, partition: batch.partition },
              'a message was refused: narrowing down',
            );
            for (const message of messages) if (!(await applyWithRetry(ctx, payload, [message]))) return false;
            return true;
          }
          const reason = sinkErrorReason(err, step);
          refused.set(messages[0]!.offset, reason);
          metrics.rejected.inc({ sink: step });
          logger.error({ partition: batch.partition, offset: messages[0]!.offset, reason }, 'message dead-lettered');
          continue;
        }
        logger.warn({ err: String(err), step, partition: batch.partition, attempt, retryInMs: delay }, 'batch failed');
        if (!resume) {
          resume = payload.pause();
          metrics.paused.inc();
        }
      }
      // Unpaused on the way out: whoever reads the partition next starts from the stored offset.
      if (!(await waitHeartbeating(payload, delay, ctx.stopping))) return false;
      delay = Math.min(delay * 2, ctx.retryMaxMs);
    }
  } finally {
    if (resume) {
      resume();
      metrics.paused.dec();
    }
  }
}

/** Waits `ms`, heartbeating; false as soon as the partition is lost or we are stopping. */
async function waitHeartbeating(payload: EachBatchPayload, ms: number, stopping: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (stopping() || !payload.isRunning() || payload.isStale()) return false;
    await payload.heartbeat();
    await sleep(Math.min(500, until - Date.now()));
  }
  return true;
}

/** The consumer's eachBatch: the batch in chunks of maxBatch, each applied before the next. */
function eachBatchOf(ctx: RetryContext, maxBatch: number): (payload: EachBatchPayload) => Promise<void> {
  return async (payload) => {
    const { batch } = payload;
    ctx.metrics.consumed.inc(batch.messages.length);
    for (let i = 0; i < batch.messages.length; i += maxBatch) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(i, i + maxBatch);
      if (!(await applyWithRetry(ctx, payload, chunk))) return;
      const lastOffset = chunk[chunk.length - 1]!.offset;
      payload.resolveOffset(lastOffset);
      const next = (BigInt(lastOffset) + 1n).toString();
      ctx.metrics.lag.set(
        { partition: String(batch.partition) },
        Math.max(0, Number(batch.highWatermark) - Number(next)),
      );
      ctx.hints.note(batch.partition, next);
      await payload.heartbeat();
      if (ctx.stopping()) {
        // Sent before the group is left; not awaited: a hint is not worth a slow stop.
        void ctx.hints.flush();
        return;
      }
    }
  };
}

function readinessChecks(stores: Stores, group: GroupState): ReadinessCheck[] {
  return [
    mysqlReadiness((sql) => stores.mysqlSink.statement(sql)),
    cassandraReadiness(stores.cassandraClient),
    {
      name: 'kafka',
      check: async () => {
        if (!group.joined) throw new Error('not in the consumer group yet');
      },
    },
  ];
}

interface Pipeline {
  kafka: Kafka;
  topics: Topics;
  stores: Stores;
  producer: Producer;
  metrics: ProcessorMetrics;
  logger: Logger;
  stopping: () => boolean;
}

/** Joins the consumer group and applies every batch it is given, until `stopping`. */
async function startConsuming(
  config: ProcessorConfig,
  pipeline: Pipeline,
): Promise<{ consumer: Consumer; group: GroupState; hints: OffsetHints }> {
  const { kafka, topics, stores, metrics, logger } = pipeline;
  const consumer = createConsumer(kafka, config);
  const hints = new OffsetHints(
    (offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic: topics.orders, ...o }))),
    config.offsetHintIntervalMs,
    (err) => logger.debug({ err: String(err) }, 'offset hints not committed'),
  );
  const group = followGroup(consumer, stores.mysqlSink, hints, topics, metrics, logger);
  const applier = new ChunkApplier({
    ...stores,
    topics,
    producer: pipeline.producer,
    metrics,
    logger,
    lateBoundMs: config.lateBoundMs,
    logEnd: (partition) => logEndOffset(kafka, topics.orders, partition),
    seek: (partition, offset) => consumer.seek({ topic: topics.orders, partition, offset }),
  });
  const ctx: RetryContext = {
    applier,
    hints,
    metrics,
    logger,
    retryMaxMs: config.retryMaxMs,
    stopping: pipeline.stopping,
  };
  await consumer.connect();
  await consumer.subscribe({ topic: topics.orders, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.partitionsConcurrently,
    eachBatch: eachBatchOf(ctx, config.maxBatch),
  });
  return { consumer, group, hints };
}

export async function startProcessor(
  config: ProcessorConfig,
  deps: { logger?: Logger; registry?: Registry; migrate?: boolean; kafka?: Kafka } = {},
): Promise<RunningProcessor> {
  const logger = deps.logger ?? createLogger('processor');
  const registry = deps.registry ?? createRegistry('processor');
  const metrics = processorMetrics(registry);
  const topics = topicsOf(config.ordersTopic);

  const kafka = deps.kafka ?? createKafka(config, logger);
  // Refuse to start with a dedupe retention that a re-sent order could outlive.
  const retention = () => planRetention(kafka, topics.orders, config);
  await retention();
  const stores = await openStores(config, logger, deps.migrate ?? true);
  const producer = createProducer(kafka);
  await producer.connect();
  let stopping = false;
  const pipeline = { kafka, topics, stores, producer, metrics, logger, stopping: () => stopping };
  const { consumer, group, hints } = await startConsuming(config, pipeline);

  const ops = await startOpsServer({
    registry,
    logger,
    port: config.opsPort,
    host: config.opsHost,
    alive: () => group.alive,
    checks: readinessChecks(stores, group),
  });
  const pruner = startPruner({
    intervalMs: config.pruneIntervalMs,
    plan: retention,
    prune: (retentionMs) => pruneProcessed(stores.mysqlSink, retentionMs),
    onPruned: (rows) => metrics.pruned.inc(rows),
    logger,
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
      await pruner.stop();
      // (A batch in flight sends its own last hint when it sees `stopping`: still in the group then.)
      // At most a second for the hints: with Kafka unreachable the commit would retry for long.
      await Promise.race([hints.flush(), sleep(1000)]);
      await consumer.disconnect();
      await producer.disconnect();
      await closeServer(ops, 'all');
      await stores.pool.end();
      await stores.cassandraClient.shutdown();
      logger.info('processor stopped');
    },
  };
}
