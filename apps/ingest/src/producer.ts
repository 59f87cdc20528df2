/**
 * Sends orders to Kafka through an idempotent producer (acks=all, key = order_id). Requests are
 * coalesced: while one produce request is in flight, new orders queue and go together in the next
 * one, so the number of produce requests does not grow with the number of HTTP requests. With none in
 * flight, the first order waits `lingerMs` for others to join it: below full load a produce request
 * (kafkajs' encoding, a socket write, the broker's work) costs more CPU than the orders in it.
 * An order is only reported sent once Kafka acknowledged it.
 *
 * A send that fails or outlives its deadline has an unknown outcome: the broker may have written it.
 * kafkajs then rolls the partitions' sequence numbers back, and the broker would take the next batch
 * that reuses them for a duplicate of the lost one and acknowledge it without writing it. So such a
 * producer sends nothing more: a new one (a new producer id, sequences from 0) takes over, and the
 * old one disconnects once its last send has ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Counter, Histogram, Registry } from 'prom-client';
import { Counter as PCounter, Histogram as PHistogram } from 'prom-client';
import {
  DependencyUnavailableError,
  keyPartitioner,
  stampAccepted,
  withTimeout,
  type Logger,
  type OrderRecord,
} from '@salespipeline/shared';
import { patchKafkaProduceEncoding } from './produce-request.js';

/** One send(): its records, the next one to go to Kafka, and how many Kafka has not acknowledged. */
interface Pending {
  messages: OrderRecord[];
  bytes: number;
  deadline: number;
  next: number;
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}

/** A record's share of maxRequestBytes and maxQueuedBytes. */
const recordSize = (record: OrderRecord): number => record.value.length + record.key.length;

export interface OrderProducerOptions {
  topic: string;
  maxRequestBytes: number;
  maxQueuedBytes: number;
  /** Time Kafka has to acknowledge a request. */
  ackTimeoutMs: number;
  /** How long the first order waits for others before a produce request goes with none in flight. */
  lingerMs: number;
  compression: 'none' | 'gzip';
  registry: Registry;
  logger: Logger;
}

export class OrderProducer {
  private producer: Producer;
  private readonly retired = new Set<Producer>();
  /** The sends with records not yet in a produce request, oldest first from `queueHead`. */
  private queue: Pending[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private inFlight = false;
  private lingering: NodeJS.Timeout | undefined;
  private connected = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private readonly sendDuration: Histogram;
  private readonly requestSize: Histogram;
  private readonly sendErrors: Counter;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: OrderProducerOptions,
  ) {
    patchKafkaProduceEncoding();
    this.producer = this.createProducer();
    this.sendDuration = new PHistogram({
      name: 'ingest_kafka_send_duration_seconds',
      help: 'Time from a produce request to its acknowledgement',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [opts.registry],
    });
    this.requestSize = new PHistogram({
      name: 'ingest_kafka_request_orders',
      help: 'Orders per produce request',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers: [opts.registry],
    });
    this.sendErrors = new PCounter({
      name: 'ingest_kafka_send_errors_total',
      help: 'Produce requests that failed',
      registers: [opts.registry],
    });
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      createPartitioner: keyPartitioner, // murmur2 of the key, as kafkajs' DefaultPartitioner and the Java clients
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Limited, so that a retired producer ends; its sends never reach a client after their deadline.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    return producer;
  }

  /** Replaces the producer of a send whose outcome is unknown (see the top of this file). */
  private retire(producer: Producer, sending: Promise<unknown>): void {
    if (producer !== this.producer) return;
    this.retired.add(producer);
    this.producer = this.createProducer();
    this.connected = false;
    void this.start();
    void sending
      .catch(() => undefined)
      .then(() => producer.disconnect())
      .catch(() => undefined)
      .finally(() => this.retired.delete(producer));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Connects, retrying in the background until it succeeds or close() is called. */
  start(): Promise<void> {
    this.connecting ??= (async () => {
      let delay = 250;
      while (!this.closed && !this.connected) {
        try {
          await this.producer.connect();
          this.connected = true;
          this.opts.logger.info({ topic: this.opts.topic }, 'producer connected');
        } catch (err) {
          if (this.closed) break;
          this.opts.logger.warn({ err: String(err), retryInMs: delay }, 'producer cannot connect to Kafka');
          await sleep(delay, undefined, { ref: false });
          delay = Math.min(delay * 2, 5000);
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Resolves once Kafka acknowledged every message; rejects with DependencyUnavailableError otherwise. */
  send(messages: OrderRecord[]): Promise<void> {
    if (!this.connected) {
      void this.start();
      return Promise.reject(new DependencyUnavailableError('not connected to Kafka'));
    }
    let bytes = 0;
    for (const m of messages) bytes += recordSize(m);
    if (this.queuedBytes + bytes > this.opts.maxQueuedBytes) {
      return Promise.reject(new DependencyUnavailableError('too many orders waiting for Kafka'));
    }
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        messages,
        bytes,
        deadline: Date.now() + this.opts.ackTimeoutMs,
        next: 0,
        remaining: messages.length,
        resolve,
        reject,
        settled: false,
      };
      const timer = setTimeout(
        () =>
          this.settle(
            pending,
            new DependencyUnavailableError(`Kafka did not acknowledge within ${this.opts.ackTimeoutMs} ms`),
          ),
        this.opts.ackTimeoutMs,
      );
      const done = pending.resolve;
      pending.resolve = () => (clearTimeout(timer), done());
      const fail = pending.reject;
      pending.reject = (err) => (clearTimeout(timer), fail(err));
      this.queue.push(pending);
      this.queuedBytes += bytes;
      this.pump();
    });
  }

  private settle(pending: Pending, err?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (err) pending.reject(err);
    else pending.resolve();
  }

  private pump(): void {
    if (this.inFlight || this.queueHead === this.queue.length) return;
    if (this.opts.lingerMs > 0 && this.queuedBytes < this.opts.maxRequestBytes && !this.closed) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.flushNow();
      }, this.opts.lingerMs);
      return;
    }
    this.flushNow();
  }

  /** Sends what is queued now, and the orders queued meanwhile once it is acknowledged. */
  private flushNow(): void {
    if (this.inFlight || this.queueHead === this.queue.length) return;
    clearTimeout(this.lingering);
    this.lingering = undefined;
    this.inFlight = true;
    void this.flush().finally(() => {
      this.inFlight = false;
      this.flushNow();
    });
  }

  /**
   * The records of the next produce request, from the oldest sends on: at most maxRequestBytes
   * (a send larger than that alone goes over several), a send that fits in one never split over
   * two; the sends already answered (a 503 at their deadline) are dropped, the client retries them.
   */
  private take(now: number): { messages: Message[]; parts: Array<{ pending: Pending; count: number }> } {
    const messages: Message[] = [];
    const parts: Array<{ pending: Pending; count: number }> = [];
    const { maxRequestBytes } = this.opts;
    let bytes = 0;
    while (this.queueHead < this.queue.length) {
      const pending = this.queue[this.queueHead]!;
      const expired = pending.settled || pending.deadline <= now;
      if (!expired && pending.next === 0 && messages.length > 0 && bytes + pending.bytes > maxRequestBytes) break;
      const first = pending.next;
      while (pending.next < pending.messages.length) {
        const message = pending.messages[pending.next]!;
        const size = recordSize(message);
        if (!expired && messages.length > 0 && bytes + size > maxRequestBytes) break;
        pending.next += 1;
        this.queuedBytes -= size;
        if (expired) continue;
        messages.push(stampAccepted(message, now));
        bytes += size;
      }
      if (!expired && pending.next > first) parts.push({ pending, count: pending.next - first });
      if (pending.next < pending.messages.length) break;
      this.queueHead += 1;
    }
    // Forget the sends taken (they hold their records) once they are most of the array.
    if (this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return { messages, parts };
  }

  private async flush(): Promise<void> {
    const now = Date.now();
    const { messages, parts } = this.take(now);
    if (messages.length === 0) return;
    const end = this.sendDuration.startTimer();
    const producer = this.producer;
    const sending = producer.send({
      topic: this.opts.topic,
      acks: -1,
      timeout: this.opts.ackTimeoutMs,
      compression: this.opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    });
    let lastDeadline = 0;
    for (const { pending } of parts) lastDeadline = Math.max(lastDeadline, pending.deadline);
    try {
      await withTimeout(
        sending,
        lastDeadline - Date.now(),
        () => new Error(`no acknowledgement within ${this.opts.ackTimeoutMs} ms`),
      );
      end();
      this.requestSize.observe(messages.length);
      for (const { pending, count } of parts) {
        pending.remaining -= count;
        if (pending.remaining === 0) this.settle(pending);
      }
    } catch (err) {
      this.retire(producer, sending);
      this.sendErrors.inc();
      this.opts.logger.warn({ err: String(err), orders: messages.length }, 'produce request failed');
      const error = new DependencyUnavailableError(`Kafka did not acknowledge: ${String(err)}`);
      for (const { pending } of parts) this.settle(pending, error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flushNow();
    if (this.connecting) await Promise.race([this.connecting, sleep(3000, undefined, { ref: false })]);
    while (this.inFlight || this.queueHead < this.queue.length) await sleep(10);
    await Promise.all([this.producer, ...this.retired].map((p) => p.disconnect()));
    this.connected = false;
  }
}
