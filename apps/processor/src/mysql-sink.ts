/**
 * The exactly-once sink. One transaction per partition batch:
 *   1. lock the partition's row in stream_offsets (SELECT ... FOR UPDATE) and read which of the
 *      batch's order ids processed_orders holds already (dedupe);
 *   2. fence: messages below the stored next offset were applied already (a restart, a rebalance or
 *      a zombie consumer re-reading them) and are skipped;
 *   3. the caller writes the raw orders (Cassandra, idempotent) and the side topics;
 *   4. insert the new order ids, add the aggregate deltas, store the new next offset, commit.
 * A crash anywhere before the commit leaves MySQL untouched and the batch is re-read; after it,
 * the fence skips the batch. Steps 1 and 4 are one round trip each (multi-statement queries: the
 * server stops at the first statement that fails, so COMMIT never runs after a failed insert).
 * Every query has a timeout: a hung connection fails the batch (to be retried) instead of holding
 * the partition, and any error destroys the connection (MySQL rolls the transaction back when it
 * sees the connection close).
 */
import type mysql from 'mysql2/promise';
import { escape, type ResultSetHeader, type RowDataPacket } from 'mysql2';
import { centsToDecimal, withTimeout } from '@salespipeline/shared';
import type { AggregateRow } from './aggregate.js';
import { multiRow, roundTrips, sqlDatetime } from './sql-text.js';

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
  /** Which of the order ids given to `begin` were counted already (by an earlier batch). */
  alreadyProcessed: ReadonlySet<string>;
  commit(processed: ProcessedOrder[], rows: AggregateRow[], next: NextPosition): Promise<void>;
  /** The topic was created anew: its offsets start again from 0; commits that and ends the batch. */
  reset(): Promise<void>;
  rollback(): Promise<void>;
}

export class MysqlSink {
  /** Pooled connections whose session is READ COMMITTED already: set once, not per batch. */
  private readonly readCommitted = new WeakSet<object>();

  constructor(
    private readonly pool: mysql.Pool,
    private readonly timeoutMs: number,
  ) {
    const options = (pool as unknown as { pool: { config: { connectionConfig: mysql.ConnectionOptions } } }).pool.config
      .connectionConfig;
    if (!options.multipleStatements) throw new Error('MysqlSink needs a pool with multipleStatements');
  }

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

  /** Opens the partition's transaction; `orderIds`: the ids to look up in processed_orders. */
  async begin(topic: string, partition: number, orderIds: readonly string[] = []): Promise<OpenBatch> {
    const conn = await this.connection();
    const batch = new PartitionBatch(conn, this.timeoutMs, topic, partition);
    try {
      const session = conn.connection;
      await batch.open(orderIds, !this.readCommitted.has(session));
      this.readCommitted.add(session);
      return batch;
    } catch (err) {
      batch.discard();
      throw err;
    }
  }
}

type Result = RowDataPacket[] | ResultSetHeader;

const processedTuple = (p: ProcessedOrder) =>
  `(${escape(p.orderId)},${p.partition},${BigInt(p.offset)},${sqlDatetime(p.minute)},${p.late ? 1 : 0},${sqlDatetime(p.acceptedAt)})`;

const aggregateTuple = (r: AggregateRow) =>
  `(${escape(r.dim)},${sqlDatetime(r.minute)},${escape(r.value)},${r.orders},${r.items},'${centsToDecimal(r.revenueCents)}','${centsToDecimal(r.discountCents)}')`;

/** One partition's transaction on one pooled connection, from the locked offset row to COMMIT or ROLLBACK. */
class PartitionBatch implements OpenBatch {
  nextOffset = 0n;
  fingerprint: string | null = null;
  resets = 0;
  alreadyProcessed: ReadonlySet<string> = new Set();
  private released = false;

  constructor(
    private readonly conn: mysql.PoolConnection,
    private readonly timeoutMs: number,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  /** Runs the statements in as few round trips as their size allows; one result per statement. */
  private async run(statements: readonly string[]): Promise<Result[]> {
    const results: Result[] = [];
    try {
      for (const trip of roundTrips(statements)) {
        const [result] = await this.conn.query<RowDataPacket[][]>({ sql: trip.join(';\n'), timeout: this.timeoutMs });
        // One statement answers with its result, several with an array of theirs.
        if (trip.length === 1) results.push(result as unknown as Result);
        else results.push(...(result as unknown as Result[]));
      }
      return results;
    } catch (err) {
      this.discard();
      throw err;
    }
  }

  /**
   * Starts the transaction, locks the partition's offset row (created first if missing) and reads
   * which of `orderIds` were processed, in one round trip.
   */
  async open(orderIds: readonly string[], newSession: boolean): Promise<void> {
    const session = newSession ? ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'] : [];
    const start = [...session, 'START TRANSACTION'];
    let results = await this.run([...start, this.lockOffsetRow(), ...this.lookUp(orderIds)]);
    let offsetRows = results[start.length] as RowDataPacket[];
    if (offsetRows.length === 0) {
      // Looked up before the lock was held: looked up again under it.
      results = await this.run([
        `INSERT IGNORE INTO stream_offsets (topic, kafka_partition, next_offset) VALUES (${escape(this.topic)}, ${this.partition}, 0)`,
        this.lockOffsetRow(),
        ...this.lookUp(orderIds),
      ]);
      offsetRows = results[1] as RowDataPacket[];
      results = results.slice(2);
    } else {
      results = results.slice(start.length + 1);
    }
    const row = offsetRows[0]!;
    this.nextOffset = BigInt(row.next_offset as string);
    this.fingerprint = (row.last_fingerprint as string | null) ?? null;
    this.resets = Number(row.resets);
    this.alreadyProcessed = new Set(
      results.flatMap((rows) => (rows as RowDataPacket[]).map((r) => r.order_id as string)),
    );
  }

  private lockOffsetRow(): string {
    return `SELECT CAST(next_offset AS CHAR) AS next_offset, last_fingerprint, resets FROM stream_offsets
      WHERE topic = ${escape(this.topic)} AND kafka_partition = ${this.partition} FOR UPDATE`;
  }

  private lookUp(orderIds: readonly string[]): string[] {
    return multiRow('SELECT order_id FROM processed_orders WHERE order_id IN (', orderIds, (id) => escape(id), ')');
  }

  async commit(processed: ProcessedOrder[], rows: AggregateRow[], next: NextPosition): Promise<void> {
    try {
      // A plain INSERT: an id counted meanwhile (impossible under the partition's lock) fails the batch.
      await this.run([
        ...multiRow(
          'INSERT INTO processed_orders (order_id, kafka_partition, kafka_offset, event_minute, late, accepted_at) VALUES',
          processed,
          processedTuple,
        ),
        ...multiRow(
          'INSERT INTO sales_by_minute (dim, minute, dim_value, orders, items, revenue, discount) VALUES',
          rows,
          aggregateTuple,
          ` ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders), items = items + VALUES(items),
           revenue = revenue + VALUES(revenue), discount = discount + VALUES(discount)`,
        ),
        `UPDATE stream_offsets SET next_offset = ${next.nextOffset}, last_fingerprint = ${escape(next.fingerprint)},
           skipped_messages = skipped_messages + ${next.skipped}
         WHERE topic = ${escape(this.topic)} AND kafka_partition = ${this.partition}`,
        'COMMIT',
      ]);
    } finally {
      this.release();
    }
  }

  async reset(): Promise<void> {
    try {
      await this.run([
        `UPDATE stream_offsets SET next_offset = 0, last_fingerprint = NULL, resets = resets + 1
         WHERE topic = ${escape(this.topic)} AND kafka_partition = ${this.partition}`,
        'COMMIT',
      ]);
    } finally {
      this.release();
    }
  }

  async rollback(): Promise<void> {
    if (this.released) return;
    try {
      await this.run(['ROLLBACK']);
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
