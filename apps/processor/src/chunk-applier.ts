/**
 * Applies one chunk of a partition's messages, exactly once. The messages are decoded and sorted
 * (classify.ts); then, in one MySQL transaction that holds the partition's stored offset: check that
 * the partition is the one the offset belongs to (offset-check.ts), fence off what an earlier batch
 * applied, classify the rest against the order ids counted before, write the new orders raw to
 * Cassandra and the side messages to Kafka, then commit the aggregates with the next offset. Any
 * failure rolls the transaction back; the caller retries.
 */
import type { KafkaMessage, Producer } from 'kafkajs';
import type { Logger, topicsOf } from '@salespipeline/shared';
import { aggregate, minuteStart } from './aggregate.js';
import type { CassandraSink } from './cassandra-sink.js';
import { classifyOrders, sortMessages, type ClassifiedOrders, type NewOrder, type SortedMessages } from './classify.js';
import type { ProcessorMetrics } from './metrics.js';
import type { MysqlSink, OpenBatch, ProcessedOrder } from './mysql-sink.js';
import { checkPosition, fingerprintOf, type OffsetVerdict } from './offset-check.js';
import { sideTopicMessages } from './side-messages.js';
import { timedStep, type Step } from './step.js';

export interface ChunkApplierDeps {
  topics: ReturnType<typeof topicsOf>;
  mysqlSink: MysqlSink;
  cassandraSink: CassandraSink;
  producer: Producer;
  metrics: ProcessorMetrics;
  logger: Logger;
  lateBoundMs: number;
  /** The partition's log end offset, asked now. */
  logEnd: (partition: number) => Promise<bigint>;
  /** Makes the consumer read the partition from `offset` next. */
  seek: (partition: number, offset: string) => void;
}

export interface Chunk {
  partition: number;
  messages: KafkaMessage[];
  /** The partition's log end offset when the chunk was fetched. */
  highWatermark: string;
  /** offset → reason: messages a sink refused for good, sent to the dead-letter topic instead. */
  refused: ReadonlyMap<string, string>;
}

interface Written {
  sorted: SortedMessages;
  classified: ClassifiedOrders;
}

export class ChunkApplier {
  constructor(private readonly deps: ChunkApplierDeps) {}

  private step<T>(step: Step, run: () => Promise<T>): Promise<T> {
    return timedStep(this.deps.metrics, step, run);
  }

  /** 'reset': the partition belongs to a recreated topic; its stored offset went back to 0 and the chunk was not applied. */
  async apply(chunk: Chunk): Promise<'applied' | 'reset'> {
    const { mysqlSink, topics, metrics } = this.deps;
    const endBatch = metrics.batchDuration.startTimer();
    // Decoded before the partition is locked: the lock is held for the writes only.
    const decoded = sortMessages(chunk.messages, chunk.partition, chunk.refused, this.deps.lateBoundMs);
    const open = await this.step('mysql', () => mysqlSink.begin(topics.orders, chunk.partition));
    let committed = false;
    try {
      const position = await this.position(open, chunk);
      if (position.kind === 'reset') {
        await this.step('mysql', () => open.reset());
        committed = true;
        this.readAgainFromStart(chunk.partition, open, position.reason);
        return 'reset';
      }
      const unapplied = this.fence(open, chunk.messages);
      if (unapplied.length === 0) return 'applied';
      const skipped = position.kind === 'gap' ? position.missed : 0n;
      // (Decoded again when the fence took messages away: a copy of an order there may be the first one now.)
      const sorted =
        unapplied.length === chunk.messages.length
          ? decoded
          : sortMessages(unapplied, chunk.partition, chunk.refused, this.deps.lateBoundMs);
      const written = await this.write(open, chunk, sorted, skipped);
      committed = true;
      this.report(open, chunk, skipped, written);
      return 'applied';
    } finally {
      if (!committed) await open.rollback().catch(() => undefined);
      endBatch();
    }
  }

  private async position(open: OpenBatch, chunk: Chunk): Promise<OffsetVerdict> {
    const firstOffset = BigInt(chunk.messages[0]!.offset);
    const verdictAt = (logEnd: bigint) =>
      checkPosition(open, {
        firstOffset,
        highWatermark: logEnd,
        fingerprintAt: (offset) => {
          // (Offsets rise within a chunk: one before the first is not in it, the usual case.)
          if (offset < firstOffset) return undefined;
          const message = chunk.messages.find((m) => BigInt(m.offset) === offset);
          return message && fingerprintOf(message);
        },
      });
    const verdict = verdictAt(BigInt(chunk.highWatermark));
    if (verdict.kind !== 'reset') return verdict;
    // A batch fetched long ago (a zombie's) may predate what others applied since: ask for the
    // log end now before believing that the log ends below the stored offset.
    return verdictAt(await this.step('kafka', () => this.deps.logEnd(chunk.partition)));
  }

  private readAgainFromStart(partition: number, open: OpenBatch, reason: string): void {
    this.deps.metrics.topicResets.inc({ partition: String(partition) });
    this.deps.logger.error(
      { partition, stored: String(open.nextOffset), reason },
      'the topic was recreated: reading the partition again from its start',
    );
    this.deps.seek(partition, '0');
  }

  /** The messages at or after the stored offset; the others were applied by an earlier batch. */
  private fence(open: OpenBatch, messages: KafkaMessage[]): KafkaMessage[] {
    const unapplied =
      BigInt(messages[0]!.offset) >= open.nextOffset
        ? messages
        : messages.filter((m) => BigInt(m.offset) >= open.nextOffset);
    // The message before the stored offset, read back to check the partition, is not fenced.
    const probe = BigInt(messages[0]!.offset) === open.nextOffset - 1n ? 1 : 0;
    this.deps.metrics.fenced.inc(messages.length - unapplied.length - probe);
    return unapplied;
  }

  /**
   * Claims the orders (the ones counted before are duplicates), writes the new ones and the side
   * messages, then commits the aggregates and the next offset.
   */
  private async write(open: OpenBatch, chunk: Chunk, sorted: SortedMessages, skipped: bigint): Promise<Written> {
    const { topics, cassandraSink, producer } = this.deps;
    const { orders } = sorted;
    const processedBefore = await this.step('mysql', () => open.claim(orders.map(processedRow)));
    const classified = classifyOrders(orders, processedBefore);
    await this.step('cassandra', () => cassandraSink.write(classified.counted));
    const side = sideTopicMessages(topics, chunk.partition, open.resets, sorted.deadLetters, classified.late);
    if (side.length > 0) await this.step('kafka', () => producer.sendBatch({ acks: -1, topicMessages: side }));
    const last = chunk.messages[chunk.messages.length - 1]!;
    const next = { nextOffset: BigInt(last.offset) + 1n, fingerprint: fingerprintOf(last), skipped };
    await this.step('mysql', () => open.commit(aggregate(classified.onTime), next));
    return { sorted, classified };
  }

  private report(open: OpenBatch, chunk: Chunk, skipped: bigint, { sorted, classified }: Written): void {
    const { metrics, logger } = this.deps;
    if (skipped > 0n) {
      metrics.skipped.inc({ partition: String(chunk.partition) }, Number(skipped));
      logger.error(
        {
          partition: chunk.partition,
          stored: String(open.nextOffset),
          first: chunk.messages[0]!.offset,
          missed: String(skipped),
        },
        'offset gap: messages were deleted from Kafka before they were applied',
      );
    }
    const now = Date.now();
    for (const o of classified.onTime) metrics.freshness.observe((now - o.acceptedAt) / 1000);
    metrics.processed.inc(classified.counted.length);
    metrics.duplicates.inc(sorted.duplicates + classified.duplicates);
    metrics.late.inc(classified.late.length);
    for (const d of sorted.deadLetters) metrics.dlq.inc({ kind: d.kind });
    metrics.batchSize.observe(chunk.messages.length);
  }
}

const processedRow = (o: NewOrder): ProcessedOrder => ({
  orderId: o.order.order_id,
  partition: o.partition,
  offset: o.offset,
  minute: minuteStart(o.createdAt),
  late: o.late,
  acceptedAt: o.acceptedAt,
});
