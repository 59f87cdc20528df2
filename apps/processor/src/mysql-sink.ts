/**
 * The exactly-once sink. One transaction per partition batch:
 *   1. lock the partition's row in stream_offsets (SELECT ... FOR UPDATE);
 *   2. fence: messages below the stored next offset were applied already (a restart, a rebalance or
 *      a zombie consumer re-reading them) and are skipped;
 *   3. dedupe: order ids already in processed_orders contribute nothing;
 *   4. the caller writes the raw orders (Cassandra, idempotent) and the side topics;
 *   5. insert the new order ids, add the aggregate deltas, store the new next offset, commit.
 * A crash anywhere before the commit leaves MySQL untouched and the batch is re-read; after it,
 * the fence skips the batch. Every statement has a timeout: a hung connection fails the batch (to be
 * retried) instead of holding the partition, and any error destroys the connection (MySQL rolls the
 * transaction back when it sees the connection close).
 */
import type mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { centsToDecimal, withTimeout } from '@salespipeline/shared';
import type { AggregateRow } from './aggregate.js';

export interface ProcessedOrder {
  orderId: string;
  partition: number;
  offset: string;
  minute: number;
  late: boolean;
  acceptedAt: number;
}

/** Where the partition's batch ends, stored with its offset. */
export interface NextPosition {
  nextOffset: bigint;
  /** Fingerprint of the message at nextOffset - 1 (see offset-check.ts). */
  fingerprint: string;
  /** Messages between the stored offset and this batch's first that were never read (a gap). */
  skipped: bigint;
}

export interface OpenBatch {
  /** The stored next offset of the partition before this batch. */
  nextOffset: bigint;
  /** Fingerprint of the message at nextOffset - 1; null before the first batch or after a reset. */
  fingerprint: string | null;
  /** How often the partition's topic was found deleted and created again. */
  resets: number;
  /** Which of these order ids were counted already (by an earlier batch). */
  alreadyProcessed(orderIds: string[]): Promise<Set<string>>;
  commit(processed: ProcessedOrder[], rows: AggregateRow[], next: NextPosition): Promise<void>;
  /** The topic was created anew: its offsets start again from 0; commits that and ends the batch. */
  reset(): Promise<void>;
  rollback(): Promise<void>;
}

const CHUNK = 1000;

export class MysqlSink {
  /** Pooled connections whose session is READ COMMITTED already: set once, not a round trip per batch. */
  private readonly readCommitted = new WeakSet<object>();

  constructor(
    private readonly pool: mysql.Pool,
    private readonly timeoutMs: number,
  ) {}

  /** Makes sure each partition has an offset row (outside any batch transaction). */
  async ensurePartitions(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    if (partitions.length > 0) {
      await this.statement('INSERT IGNORE INTO stream_offsets (topic, kafka_partition, next_offset) VALUES ?', [
        partitions.map((p) => [topic, p, 0]),
      ]);
    }
    return this.offsets(topic);
  }

  async offsets(topic: string): Promise<Map<number, bigint>> {
    const rows = await this.statement<RowDataPacket[]>(
      'SELECT kafka_partition, CAST(next_offset AS CHAR) AS next_offset FROM stream_offsets WHERE topic = ?',
      [topic],
    );
    return new Map(rows.map((r) => [Number(r.kafka_partition), BigInt(r.next_offset as string)]));
  }

  /**
   * One statement outside a batch, with the same timeout and the same care as in a batch (a pool
   * query that times out would keep its connection busy until the server answers).
   */
  async statement<T extends RowDataPacket[] | ResultSetHeader>(
    sql: string,
    values?: mysql.QueryOptions['values'],
  ): Promise<T> {
    const conn = await this.connection();
    try {
      const [result] = await conn.query<T>({ sql, values, timeout: this.timeoutMs });
      conn.release();
      return result;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /** A pooled connection, or an error once none came within the timeout (all of them hang). */
  private async connection(): Promise<mysql.PoolConnection> {
    const pending = this.pool.getConnection();
    try {
      return await withTimeout(
        pending,
        this.timeoutMs,
        () => new Error(`no MySQL connection within ${this.timeoutMs} ms`),
      );
    } catch (err) {
      pending.then(
        (conn) => conn.release(),
        () => undefined,
      );
      throw err;
    }
  }

  async begin(topic: string, partition: number): Promise<OpenBatch> {
    const batch = new PartitionBatch(await this.connection(), this.timeoutMs, topic, partition);
    try {
      if (!this.readCommitted.has(batch.session)) {
        await batch.run('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        this.readCommitted.add(batch.session);
      }
      await batch.open();
      return batch;
    } catch (err) {
      batch.discard();
      throw err;
    }
  }
}

type Values = mysql.QueryOptions['values'];

/** One partition's transaction on one pooled connection, from the locked offset row to COMMIT or ROLLBACK. */
class PartitionBatch implements OpenBatch {
  nextOffset = 0n;
  fingerprint: string | null = null;
  resets = 0;
  private released = false;

  constructor(
    private readonly conn: mysql.PoolConnection,
    private readonly timeoutMs: number,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  /** The connection's session, the same object for as long as the pool keeps the connection. */
  get session(): object {
    return this.conn.connection;
  }

  async run<T extends RowDataPacket[] | ResultSetHeader>(sql: string, values?: Values): Promise<T> {
    try {
      const [result] = await this.conn.query<T>({ sql, values, timeout: this.timeoutMs });
      return result;
    } catch (err) {
      this.discard();
      throw err;
    }
  }

  /** Starts the transaction and locks the partition's offset row, created first if missing. */
  async open(): Promise<void> {
    await this.run('START TRANSACTION');
    let rows = await this.lockOffsetRow();
    if (rows.length === 0) {
      await this.run('INSERT IGNORE INTO stream_offsets (topic, kafka_partition, next_offset) VALUES (?, ?, 0)', [
        this.topic,
        this.partition,
      ]);
      rows = await this.lockOffsetRow();
    }
    this.nextOffset = BigInt(rows[0]!.next_offset as string);
    this.fingerprint = (rows[0]!.last_fingerprint as string | null) ?? null;
    this.resets = Number(rows[0]!.resets);
  }

  private lockOffsetRow() {
    return this.run<RowDataPacket[]>(
      `SELECT CAST(next_offset AS CHAR) AS next_offset, last_fingerprint, resets
       FROM stream_offsets WHERE topic = ? AND kafka_partition = ? FOR UPDATE`,
      [this.topic, this.partition],
    );
  }

  async alreadyProcessed(orderIds: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < orderIds.length; i += CHUNK) {
      const existing = await this.run<RowDataPacket[]>('SELECT order_id FROM processed_orders WHERE order_id IN (?)', [
        orderIds.slice(i, i + CHUNK),
      ]);
      for (const r of existing) found.add(r.order_id as string);
    }
    return found;
  }

  async commit(processed: ProcessedOrder[], rows: AggregateRow[], next: NextPosition): Promise<void> {
    try {
      await this.insertProcessed(processed);
      await this.addAggregates(rows);
      await this.run(
        `UPDATE stream_offsets SET next_offset = ?, last_fingerprint = ?, skipped_messages = skipped_messages + ?
         WHERE topic = ? AND kafka_partition = ?`,
        [next.nextOffset.toString(), next.fingerprint, next.skipped.toString(), this.topic, this.partition],
      );
      await this.run('COMMIT');
    } catch (err) {
      this.discard();
      throw err;
    } finally {
      this.release();
    }
  }

  private async insertProcessed(processed: ProcessedOrder[]): Promise<void> {
    for (let i = 0; i < processed.length; i += CHUNK) {
      const res = await this.run<ResultSetHeader>(
        'INSERT INTO processed_orders (order_id, kafka_partition, kafka_offset, event_minute, late, accepted_at) VALUES ?',
        [
          processed
            .slice(i, i + CHUNK)
            .map((p) => [p.orderId, p.partition, p.offset, new Date(p.minute), p.late ? 1 : 0, new Date(p.acceptedAt)]),
        ],
      );
      if (res.affectedRows !== Math.min(CHUNK, processed.length - i))
        throw new Error('processed_orders insert mismatch');
    }
  }

  private async addAggregates(rows: AggregateRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.run(
        `INSERT INTO sales_by_minute (dim, minute, dim_value, orders, items, revenue, discount) VALUES ?
         ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders), items = items + VALUES(items),
           revenue = revenue + VALUES(revenue), discount = discount + VALUES(discount)`,
        [
          rows
            .slice(i, i + CHUNK)
            .map((r) => [
              r.dim,
              new Date(r.minute),
              r.value,
              r.orders,
              r.items,
              centsToDecimal(r.revenueCents),
              centsToDecimal(r.discountCents),
            ]),
        ],
      );
    }
  }

  async reset(): Promise<void> {
    try {
      await this.run(
        `UPDATE stream_offsets SET next_offset = 0, last_fingerprint = NULL, resets = resets + 1
         WHERE topic = ? AND kafka_partition = ?`,
        [this.topic, this.partition],
      );
      await this.run('COMMIT');
    } finally {
      this.release();
    }
  }

  async rollback(): Promise<void> {
    if (this.released) return;
    try {
      await this.run('ROLLBACK');
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (!this.released) this.conn.release();
    this.released = true;
  }

  /** A connection whose statement failed or timed out may be stuck mid-protocol: never reuse it. */
  discard(): void {
    if (!this.released) this.conn.destroy();
    this.released = true;
  }
}
