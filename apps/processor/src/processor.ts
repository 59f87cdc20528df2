/**
 * The stream processor: a kafkajs consumer group; each partition batch is decoded, deduplicated,
 * written raw to Cassandra, and its aggregate deltas and offset committed to MySQL in one
 * transaction (see mysql-sink.ts). A sink that is down or hangs (every request has a timeout)
 * pauses the partition and the batch is retried with backoff until it succeeds; nothing is skipped.
 * A message a sink refuses for good (sink-errors.ts) goes to the dead-letter topic with the reason.
 */
import type { Server } from 'node:http';
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
import { planRetention, pruneProcessed, startPruner } from './pruner.js';
import { checkPosition, fingerprintOf } from './offset-check.js';
import { deadLetter, lateOrder, type SideMessage } from './side-messages.js';
import { classifySinkError, sinkErrorReason } from './sink-errors.js';
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

type Step = 'mysql' | 'cassandra' | 'kafka';

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
  const cassandraClient: cassandra.Client = createCassandraClient(config, { readTimeoutMs: config.sinkTimeoutMs });
  const pool: mysql.Pool = createMysqlPool(config, { connectionLimit: config.mysqlPoolSize });
  if (deps.migrate ?? true) {
    await migrateMysql(pool, logger);
    await migrateCassandra(cassandraClient, config.cassandraKeyspace, config.cassandraReplication, logger);
  }
  const cassandraSink = new CassandraSink(cassandraClient, config.cassandraKeyspace, {
    concurrency: config.cassandraConcurrency,
    hourBatchRows: config.cassandraHourBatchRows,
  });
  const mysqlSink = new MysqlSink(pool, config.sinkTimeoutMs);

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
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.round(config.sessionTimeoutMs / 10),
  });

  let stopping = false;
  let joined = false;
  let alive = true;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    const assigned = payload.memberAssignment[topics.orders] ?? [];
    metrics.groupJoins.inc();
    metrics.assigned.set(assigned.length);
    logger.info({ partitions: assigned }, 'partitions assigned');
    // Resume each partition from the offset stored with the aggregates, one message back: that
    // message proves the partition is the one the offset belongs to (offset-check.ts). (A batch
    // fetched before the seek lands is harmless: the transaction's fence skips what was applied.)
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
    if (!payload.restart) alive = false;
  });

  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const end = metrics.sinkDuration.startTimer({ sink: step });
    try {
      return await fn();
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { step });
    } finally {
      end();
    }
  };

  /** The partition's log end offset, asked now. */
  const logEnd = async (partition: number): Promise<bigint> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topics.orders);
      return BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
    } finally {
      await admin.disconnect();
    }
  };

  /**
   * Applies one chunk of a partition's messages, exactly once. `rejected` (offset → reason): messages
   * a sink refused for good, sent to the dead-letter topic instead. 'reset': the partition belongs
   * to a recreated topic; its stored offset went back to 0 and the chunk was not applied.
   */
  async function apply(
    partition: number,
    chunk: KafkaMessage[],
    rejected: Map<string, string>,
    highWatermark: string,
  ): Promise<'applied' | 'reset'> {
    const endBatch = metrics.batchDuration.startTimer();
    const first = BigInt(chunk[0]!.offset);
    const last = BigInt(chunk[chunk.length - 1]!.offset);
    const open = await timed('mysql', () => mysqlSink.begin(topics.orders, partition));
    let committed = false;
    try {
      const position = (logEnd: bigint) =>
        checkPosition(open, {
          firstOffset: first,
          highWatermark: logEnd,
          fingerprintAt: (offset) => {
            const m = chunk.find((c) => BigInt(c.offset) === offset);
            return m && fingerprintOf(m);
          },
        });
      let verdict = position(BigInt(highWatermark));
      // A batch fetched long ago (a zombie's) may predate what others applied since: ask for the
      // log end now before believing that the log ends below the stored offset.
      if (verdict.kind === 'reset') verdict = position(await timed('kafka', () => logEnd(partition)));
      if (verdict.kind === 'reset') {
        await timed('mysql', () => open.reset());
        committed = true;
        metrics.topicResets.inc({ partition: String(partition) });
        logger.error(
          { partition, stored: String(open.nextOffset), reason: verdict.reason },
          'the topic was recreated: reading the partition again from its start',
        );
        consumer.seek({ topic: topics.orders, partition, offset: '0' });
        return 'reset';
      }
      const skipped = verdict.kind === 'gap' ? verdict.missed : 0n;
      // The message before the stored offset, read back to check the partition, is not fenced.
      const probe = first === open.nextOffset - 1n ? 1 : 0;
      if (open.nextOffset > last) {
        metrics.fenced.inc(chunk.length - probe);
        return 'applied';
      }
      const fresh = chunk.filter((m) => BigInt(m.offset) >= open.nextOffset);
      metrics.fenced.inc(chunk.length - fresh.length - probe);

      const dlq: SideMessage[] = [];
      const dlqKinds: string[] = [];
      const candidates: RawOrder[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      for (const m of fresh) {
        const origin = { topic: topics.orders, partition, offset: m.offset, resets: open.resets };
        const refused = rejected.get(m.offset);
        const d = refused === undefined ? decodeOrder(m.value, m.timestamp) : undefined;
        if (d === undefined || !d.ok) {
          const kind = d?.kind ?? 'rejected';
          dlqKinds.push(kind);
          dlq.push(deadLetter(origin, m, kind, d?.reason ?? refused!));
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
                      messages: late.map((c) =>
                        lateOrder(
                          { topic: topics.orders, partition, offset: c.offset, resets: open.resets },
                          c.order,
                          c.acceptedAt - Date.parse(c.order.created_at),
                        ),
                      ),
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
      const next = { nextOffset: last + 1n, fingerprint: fingerprintOf(chunk[chunk.length - 1]!), skipped };
      await timed('mysql', () => open.commit(processed, rows, next));
      committed = true;
      if (skipped > 0n) {
        metrics.skipped.inc({ partition: String(partition) }, Number(skipped));
        logger.error(
          { partition, stored: String(open.nextOffset), first: String(first), missed: String(skipped) },
          'offset gap: messages were deleted from Kafka before they were applied',
        );
      }

      const now = Date.now();
      for (const c of onTime) metrics.freshness.observe((now - c.acceptedAt) / 1000);
      metrics.processed.inc(fresher.length);
      metrics.duplicates.inc(duplicates);
      metrics.late.inc(late.length);
      for (const kind of dlqKinds) metrics.dlq.inc({ kind });
      metrics.batchSize.observe(chunk.length);
      return 'applied';
    } finally {
      if (!committed) await open.rollback().catch(() => undefined);
      endBatch();
    }
  }

  /**
   * Retries a chunk until it is applied; false when the partition was lost or we are stopping.
   * A permanent sink error is narrowed down to its message (the chunk is applied one message at a
   * time), which is then dead-lettered. A failed heartbeat (a rebalance, or this member was
   * expelled) is thrown so that kafkajs rejoins the group: a member waiting for its sinks must not
   * hold up everyone else's rebalance.
   */
  async function applyWithRetry(payload: EachBatchPayload, chunk: KafkaMessage[]): Promise<boolean> {
    const { batch } = payload;
    const rejected = new Map<string, string>();
    let delay = 100;
    let resume: (() => void) | undefined;
    const resumed = () => {
      if (!resume) return;
      resume();
      resume = undefined;
      metrics.paused.dec();
    };
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if ((await apply(batch.partition, chunk, rejected, batch.highWatermark)) === 'reset') return false;
          if (resume) logger.info({ partition: batch.partition, attempt }, 'sinks back: partition resumed');
          return true;
        } catch (err) {
          const step = (err as { step?: Step }).step ?? 'unknown';
          metrics.sinkErrors.inc({ sink: step });
          // (Refused again once dead-lettered: then it is the dead-letter topic failing; retry that.)
          if (classifySinkError(err) === 'permanent' && !(chunk.length === 1 && rejected.has(chunk[0]!.offset))) {
            if (chunk.length > 1) {
              logger.warn(
                { err: String(err), step, partition: batch.partition },
                'a message was refused: narrowing down',
              );
              for (const m of chunk) if (!(await applyWithRetry(payload, [m]))) return false;
              return true;
            }
            const reason = sinkErrorReason(err, step);
            rejected.set(chunk[0]!.offset, reason);
            metrics.rejected.inc({ sink: step });
            logger.error({ partition: batch.partition, offset: chunk[0]!.offset, reason }, 'message dead-lettered');
            continue;
          }
          logger.warn(
            { err: String(err), step, partition: batch.partition, attempt, retryInMs: delay },
            'batch failed',
          );
          if (!resume) {
            resume = payload.pause();
            metrics.paused.inc();
          }
        }
        const until = Date.now() + delay;
        while (Date.now() < until) {
          // Unpaused on the way out: whoever reads the partition next starts from the stored offset.
          if (stopping || !payload.isRunning() || payload.isStale()) return false;
          await payload.heartbeat();
          await sleep(Math.min(500, until - Date.now()));
        }
        delay = Math.min(delay * 2, config.retryMaxMs);
      }
    } finally {
      resumed();
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
        await payload.heartbeat();
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
      { name: 'mysql', check: async () => void (await mysqlSink.statement('SELECT 1')) },
      { name: 'cassandra', check: async () => void (await cassandraClient.execute('SELECT key FROM system.local')) },
      {
        name: 'kafka',
        check: async () => {
          if (!joined) throw new Error('not in the consumer group yet');
        },
      },
    ],
  });
  const pruner = startPruner({
    intervalMs: config.pruneIntervalMs,
    plan: retention,
    prune: (retentionMs) => pruneProcessed(mysqlSink, retentionMs),
    onPruned: (n) => metrics.pruned.inc(n),
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
