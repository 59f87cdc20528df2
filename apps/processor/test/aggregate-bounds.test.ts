import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import {
  centsToDecimal,
  createLogger,
  createMysqlPool,
  MAX_ORDERS_PER_TOPIC,
  ORDER_MAXIMA,
  SALES_COUNTER_COLUMNS,
} from '@salespipeline/shared';
import { largestOrder } from '@salespipeline/shared/testing';
import { aggregate, datedOrder, minuteStart } from '../src/aggregate.js';
import { migrateMysql } from '../src/migrate.js';
import { createTestDatabase } from '../src/testing/index.js';
import { fingerprintOf } from '../src/offset-check.js';
import { MysqlSink } from '../src/mysql-sink.js';

jest.setTimeout(120_000);

/** Largest magnitude a DECIMAL(precision, scale) holds, in its smallest unit. */
const capacity = ({ precision }: { precision: number }) => 10n ** BigInt(precision) - 1n;

describe('sales_by_minute counters at the bounds of the schema (real MariaDB)', () => {
  let database: string;
  let pool: mysql.Pool;

  beforeAll(async () => {
    const created = await createTestDatabase('bounds');
    database = created.database;
    pool = createMysqlPool({ mysqlUrl: created.mysqlUrl }, { connectionLimit: 2, multipleStatements: true });
    await migrateMysql(pool, createLogger('test', 'warn'));
  });
  afterAll(async () => {
    await pool?.query(`DROP DATABASE IF EXISTS ${database}`);
    await pool?.end();
  });

  it('declares columns that hold every order a topic can carry at the largest amounts', async () => {
    const need = {
      orders: MAX_ORDERS_PER_TOPIC,
      items: MAX_ORDERS_PER_TOPIC * ORDER_MAXIMA.items,
      revenue: MAX_ORDERS_PER_TOPIC * ORDER_MAXIMA.amountCents,
      discount: MAX_ORDERS_PER_TOPIC * ORDER_MAXIMA.amountCents,
    };
    const [columns] = await pool.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'sales_by_minute' AND COLUMN_NAME IN ('orders','items','revenue','discount')`,
      [database],
    );
    expect(columns).toHaveLength(4);
    for (const c of columns) {
      const name = c.name as keyof typeof need;
      expect({ name, precision: Number(c.p), scale: Number(c.s) }).toEqual({ name, ...SALES_COUNTER_COLUMNS[name] });
      expect(capacity(SALES_COUNTER_COLUMNS[name]) >= need[name]).toBe(true);
    }
  });

  it('adds the largest order to a row that already counts all but one order of a topic, exactly', async () => {
    const order = largestOrder('bound-1', '2026-03-01T17:29:59.999+05:30');
    const minute = new Date(minuteStart(Date.parse(order.created_at)));
    const before = MAX_ORDERS_PER_TOPIC - 1n;
    await pool.query(
      `INSERT INTO sales_by_minute (dim, minute, dim_value, orders, items, revenue, discount) VALUES ('total', ?, '', ?, ?, ?, ?)`,
      [
        minute,
        before.toString(),
        (before * ORDER_MAXIMA.items).toString(),
        centsToDecimal(before * ORDER_MAXIMA.amountCents),
        centsToDecimal(before * ORDER_MAXIMA.amountCents),
      ],
    );
    const discounted = {
      ...order,
      items: order.items.map((i) => ({ ...i, discount_amount: i.price * i.qty_ordered })),
    };
    discounted.grand_total = 0;
    const sink = new MysqlSink(pool, 15_000);
    const lastMessage = { timestamp: String(Date.now()), key: null, value: null };
    const batch = await sink.begin('bounds', 0);
    const processed = [order, discounted].map((o, i) => ({
      orderId: `${o.order_id}-${i}`,
      partition: 0,
      offset: String(i),
      minute: minute.getTime(),
      late: false,
      acceptedAt: Date.now(),
    }));
    // The first order brings the largest revenue; the second, fully discounted, the largest discount.
    const rows = aggregate([datedOrder(order)]).concat(aggregate([datedOrder(discounted)]));
    const totals = rows.filter((r) => r.dim === 'total');
    await batch.claim(processed);
    await batch.commit(totals, { nextOffset: 2n, fingerprint: fingerprintOf(lastMessage), skipped: 0n });
    const [[row]] = await pool.query<RowDataPacket[]>(
      `SELECT CAST(orders AS CHAR) AS orders, CAST(items AS CHAR) AS items, CAST(revenue AS CHAR) AS revenue,
              CAST(discount AS CHAR) AS discount FROM sales_by_minute WHERE dim = 'total' AND minute = ?`,
      [minute],
    );
    expect(row).toEqual({
      orders: (before + 2n).toString(),
      items: ((before + 2n) * ORDER_MAXIMA.items).toString(),
      revenue: centsToDecimal((before + 1n) * ORDER_MAXIMA.amountCents),
      discount: centsToDecimal((before + 1n) * ORDER_MAXIMA.amountCents),
    });
  });
});
