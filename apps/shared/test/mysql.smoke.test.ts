import { afterAll, describe, expect, it } from '@jest/globals';
import type { RowDataPacket } from 'mysql2';
import { createMysqlPool } from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';

describe('MariaDB (real server, MySQL protocol)', () => {
  const pool = createMysqlPool(testInfra());
  const database = uniqueName('sp_test_smoke');
  afterAll(async () => {
    await pool.query(`DROP DATABASE IF EXISTS ${database}`);
    await pool.end();
  });

  it('creates a table, inserts and selects in a transaction', async () => {
    await pool.query(`CREATE DATABASE ${database}`);
    await pool.query(`CREATE TABLE ${database}.revenue (minute DATETIME PRIMARY KEY, revenue DECIMAL(18,2) NOT NULL)`);
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query(`INSERT INTO ${database}.revenue VALUES (?, ?)`, [new Date('2026-01-01T10:00:00Z'), '10.05']);
      await conn.query(
        `INSERT INTO ${database}.revenue VALUES (?, ?) ON DUPLICATE KEY UPDATE revenue = revenue + VALUES(revenue)`,
        [new Date('2026-01-01T10:00:00Z'), '0.10'],
      );
      await conn.commit();
    } finally {
      conn.release();
    }
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT minute, revenue FROM ${database}.revenue`);
    expect(rows).toEqual([{ minute: new Date('2026-01-01T10:00:00Z'), revenue: 10.15 }]);
  });
});
