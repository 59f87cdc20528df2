/**
 * The exactly-once sink. One transaction per partition batch:
 *   1. lock the partition's row in stream_offsets (SELECT ... FOR UPDATE);
 *   2. fence: messages below the stored next offset were applied already (a restart, a rebalance or
 *      a zombie consumer re-reading them) and are skipped;
 *   3. claim the batch's order ids (dedupe): insert them into processed_orders; the ids it holds
 *      already were counted by an earlier batch (see `claim`);
 *   4. the caller writes the raw orders (Cassandra, idempotent) and the side topics;
 *   5. add the aggregate deltas, store the new next offset, commit.
 * A crash anywhere before the commit leaves MySQL untouched and the batch is re-read; after it,
 * the fence skips the batch. Steps 1, 3 and 5 are one round trip each (multi-statement queries: the
 * server stops at the first statement that fails, so COMMIT never runs after a failed statement).
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
  /**
   * Records the batch's orders (distinct ids) as processed; returns the ids of those an earlier batch
   * counted already, which are not recorded again.
   */
  claim(orders: readonly ProcessedOrder[]): Promise<ReadonlySet<string>>;
  commit(rows: AggregateRow[], next: NextPosition): Promise<void>;
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

  /** Opens the partition's transaction. */
  async begin(topic: string, partition: number): Promise<OpenBatch> {
    const conn = await this.connection();
    const batch = new PartitionBatch(conn, this.timeoutMs, topic, partition);
    try {
      const session = conn.connection;
      await batch.open(!this.readCommitted.has(session));
      this.readCommitted.add(session);
      return batch;
    } catch (err) {
      batch.discard();
      throw err;
    }
  }
}

type Result = RowDataPacket[] | ResultSetHeader;

/** ER_DUP_ENTRY: a row with the same primary key exists. */
const DUPLICATE_KEY = 1062;
const isDuplicateKey = (err: unknown) => (err as { errno?: unknown }).errno === DUPLICATE_KEY;

const processedTuple = (p: ProcessedOrder) =>
  `(${escape(p.orderId)},${p.partition},${BigInt(p.offset)},${sqlDatetime(p.minute)},${p.late ? 1 : 0},${sqlDatetime(p.acceptedAt)})`;

const aggregateTuple = (r: AggregateRow) =>
  `(${escape(r.dim)},${sqlDatetime(r.minute)},${escape(r.value)},${r.orders},${r.items},'${centsToDecimal(r.revenueCents)}','${centsToDecimal(r.discountCents)}')`;

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

  /**
   * Runs the statements in as few round trips as their size allows; one result per statement. A
   * failed statement discards the connection, unless `survivable` says the error leaves it usable.
   */
  private async run(statements: readonly string[], survivable = (_err: unknown) => false): Promise<Result[]> {
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
      if (!survivable(err)) this.discard();
      throw err;
    }
  }

  /** Starts the transaction and locks the partition's offset row (created first if missing), in one round trip. */
  async open(newSession: boolean): Promise<void> {
    const session = newSession ? ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'] : [];
    const start = [...session, 'START TRANSACTION'];
    let offsetRows = (await this.run([...start, this.lockOffsetRow()]))[start.length] as RowDataPacket[];
    if (offsetRows.length === 0) {
      const results = await this.run([
        `INSERT IGNORE INTO stream_offsets (topic, kafka_partition, next_offset) VALUES (${escape(this.topic)}, ${this.partition}, 0)`,
        this.lockOffsetRow(),
      ]);
      offsetRows = results[1] as RowDataPacket[];
    }
    const row = offsetRows[0]!;
    this.nextOffset = BigInt(row.next_offset as string);
    this.fingerprint = (row.last_fingerprint as string | null) ?? null;
    this.resets = Number(row.resets);
  }

  /**
   * Inserts every id at once, assuming none was processed before (re-sent orders are rare): one
   * pass over the index instead of a look-up and then an insert. A duplicate fails the insert
   * (a plain INSERT: INSERT IGNORE would also truncate a value too long instead of failing): its
   * rows are undone to the savepoint, the ids are looked up and only the new ones inserted. No other
   * transaction inserts this partition's ids meanwhile (the offset row's lock), so the second
   * insert cannot meet a duplicate; if it did, the batch would fail and be retried.
   */
  async claim(orders: readonly ProcessedOrder[]): Promise<ReadonlySet<string>> {
    if (orders.length === 0) return new Set();
    try {
      await this.run(['SAVEPOINT claim', ...this.insertProcessed(orders)], isDuplicateKey);
      return new Set();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const results = await this.run(['ROLLBACK TO SAVEPOINT claim', ...this.lookUp(orders.map((o) => o.orderId))]);
    const before = new Set(
      results.slice(1).flatMap((rows) => (rows as RowDataPacket[]).map((r) => r.order_id as string)),
    );
    const firstSeen = orders.filter((o) => !before.has(o.orderId));
    if (firstSeen.length > 0) await this.run(this.insertProcessed(firstSeen));
    return before;
  }

  private insertProcessed(orders: readonly ProcessedOrder[]): string[] {
    return multiRow(
      'INSERT INTO processed_orders (order_id, kafka_partition, kafka_offset, event_minute, late, accepted_at) VALUES',
      orders,
      processedTuple,
    );
  }

  private lockOffsetRow(): string {
    return `SELECT CAST(next_offset AS CHAR) AS next_offset, last_fingerprint, resets FROM stream_offsets
      WHERE topic = ${escape(this.topic)} AND kafka_partition = ${this.partition} FOR UPDATE`;
  }

  private lookUp(orderIds: readonly string[]): string[] {
    return multiRow('SELECT order_id FROM processed_orders WHERE order_id IN (', orderIds, (id) => escape(id), ')');
  }

  async commit(rows: AggregateRow[], next: NextPosition): Promise<void> {
    try {
      await this.run([
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
