/**
 * LagReader: a consumer group's lag per partition, read from outside the group with the Kafka admin
 * API: log end offsets (ListOffsets) minus the group's committed offsets (OffsetFetch). The processor
 * also commits the offsets it stored in MySQL to its Kafka group (hints that trail MySQL's by at most
 * PROCESSOR_OFFSET_HINT_INTERVAL_MS, 1 s), so this lag is never an underestimate. A partition the group never
 * committed counts from its log start offset (the processor reads from the beginning).
 */
import { createHash } from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { kafkaLogCreator, withTimeout, type Logger } from '@salespipeline/shared';
import type { PartitionLag } from './decide.js';

/** kafkajs' SASL and TLS options of the admin client (none: plaintext, no SASL). */
export type LagReaderSecurity = Pick<KafkaConfig, 'sasl' | 'ssl'>;

export interface LagReader {
  read(brokers: string[], topic: string, groupId: string, security?: LagReaderSecurity): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/** One kafkajs admin client per bootstrap address and credentials, kept connected between polls; dropped on error. */
export class KafkaLagReader implements LagReader {
  private readonly admins = new Map<string, Promise<Admin>>();

  constructor(
    private readonly logger: Logger,
    private readonly opts: { timeoutMs?: number; clientId?: string } = {},
  ) {}

  private admin(key: string, brokers: string[], security: LagReaderSecurity): Promise<Admin> {
    let admin = this.admins.get(key);
    if (!admin) {
      const kafkaLog = this.logger.child({ component: 'kafkajs', brokers: key });
      const kafka = new Kafka({
        clientId: this.opts.clientId ?? 'salespipeline-operator',
        brokers,
        ...security,
        connectionTimeout: 3_000,
        requestTimeout: this.opts.timeoutMs ?? 10_000,
        retry: { retries: 1, initialRetryTime: 200 },
        logLevel: logLevel.WARN,
        // Connection failures are reported by the autoscaler, once per change: kafkajs' own lines are debug.
        logCreator: kafkaLogCreator(kafkaLog, () => 'debug'),
      });
      const a = kafka.admin();
      admin = a.connect().then(() => a);
      admin.catch(() => this.drop(key));
      this.admins.set(key, admin);
    }
    return admin;
  }

  private drop(key: string): void {
    const admin = this.admins.get(key);
    this.admins.delete(key);
    void admin?.then((a) => a.disconnect()).catch(() => undefined);
  }

  async read(
    brokers: string[],
    topic: string,
    groupId: string,
    security: LagReaderSecurity = {},
  ): Promise<PartitionLag[]> {
    // Changed credentials (a rotated password) get a new client: the key covers them, hashed.
    const key = `${brokers.join(',')}#${createHash('sha256').update(JSON.stringify(security)).digest('hex').slice(0, 16)}`;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    try {
      return await withTimeout(
        this.readOnce(this.admin(key, brokers, security), topic, groupId),
        timeoutMs,
        () => new Error(`lag read from ${brokers.join(',')} timed out after ${timeoutMs} ms`),
      );
    } catch (err) {
      this.drop(key);
      throw err;
    }
  }

  private async readOnce(connected: Promise<Admin>, topic: string, groupId: string): Promise<PartitionLag[]> {
    const admin = await connected;
    const [ends, groups] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committed = new Map(
      (groups.find((g) => g.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    return ends
      .map((e) => {
        const end = Number(e.high);
        const c = committed.get(e.partition) ?? -1;
        const from = c >= 0 ? c : Number(e.low);
        return { partition: e.partition, end, committed: c, lag: Math.max(0, end - from) };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    const all = [...this.admins.values()];
    this.admins.clear();
    await Promise.all(all.map((a) => a.then((x) => x.disconnect()).catch(() => undefined)));
  }
}
