import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import { createLogger, createMysqlPool } from '@salespipeline/shared';
import { migrateMysql } from '../src/migrate.js';
import { createTestDatabase } from '../src/testing/index.js';
import { MysqlSink, type ProcessedOrder } from '../src/mysql-sink.js';

jest.setTimeout(120_000);

const MINUTE = Date.parse('2026-03-01T12:00:00Z');
const next = (nextOffset: bigint) => ({ nextOffset, fingerprint: 'f', skipped: 0n });

/** Orders `prefix-from` … `prefix-(to - 1)`, each at the offset `offset` plus its place in the list. */
const processed = (prefix: string, from: number, to: number, offset: number): ProcessedOrder[] =>
  Array.from({ length: to - from }, (_, i) => ({
    orderId: `${prefix}-${from + i}`,
    partition: 0,
    offset: String(offset + i),
    minute: MINUTE,
    late: false,
    acceptedAt: MINUTE + 1000,
  }));

describe('MysqlSink.claim: order ids recorded once, the ones recorded before reported (real MariaDB)', () => {
  let database: string;
  let pool: mysql.Pool;
  let sink: MysqlSink;

  const offsetsOf = async (prefix: string) => {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT order_id, CAST(kafka_offset AS CHAR) AS o FROM processed_orders WHERE order_id LIKE ?',
      [`${prefix}-%`],
    );
    return new Map(rows.map((r) => [r.order_id as string, r.o as string]));
  };

  beforeAll(async () => {
    const created = await createTestDatabase('claim');
    database = created.database;
    pool = createMysqlPool({ mysqlUrl: created.mysqlUrl }, { connectionLimit: 2, multipleStatements: true });
    await migrateMysql(pool, createLogger('test', 'warn'));
    sink = new MysqlSink(pool, 15_000);
  });
  afterAll(async () => {
    await pool?.query(`DROP DATABASE IF EXISTS ${database}`);
    await pool?.end();
  });

  it('new ids are all recorded; ids seen before are reported and keep their first row, across several statements', async () => {
    const first = await sink.begin('claims', 0);
    expect(await first.claim(processed('p', 0, 1500, 0))).toEqual(new Set());
    await first.commit([], next(1500n));

    // 1,000 new ids fill the first statement (applied before the second fails on a duplicate).
    const second = await sink.begin('claims', 0);
    const orders = [
      ...processed('p', 1500, 2500, 1500),
      ...processed('p', 1000, 1500, 2500),
      ...processed('p', 2500, 3000, 3000),
    ];
    const before = await second.claim(orders);
    expect([...before].sort()).toEqual(
      processed('p', 1000, 1500, 0)
        .map((o) => o.orderId)
        .sort(),
    );
    await second.commit([], next(3500n));

    const offsets = await offsetsOf('p');
    expect(offsets.size).toBe(3000);
    expect(offsets.get('p-1000')).toBe('1000');
    expect(offsets.get('p-1499')).toBe('1499');
    expect(offsets.get('p-1500')).toBe('1500');
    expect(offsets.get('p-2999')).toBe('3499');
  });

  it('a batch rolled back after its claim records nothing', async () => {
    const batch = await sink.begin('claims', 1);
    expect(await batch.claim(processed('q', 0, 3, 0))).toEqual(new Set());
    await batch.rollback();
    expect((await offsetsOf('q')).size).toBe(0);

    const again = await sink.begin('claims', 1);
    expect(await again.claim(processed('q', 0, 3, 0))).toEqual(new Set());
    await again.commit([], next(3n));
    expect((await offsetsOf('q')).size).toBe(3);
  });
});
