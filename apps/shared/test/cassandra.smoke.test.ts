import { afterAll, describe, expect, it } from '@jest/globals';
import { createCassandraClient } from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';

describe('Cassandra (real node)', () => {
  const client = createCassandraClient(testInfra());
  const keyspace = uniqueName('smoke');
  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.shutdown();
  });

  it('creates a keyspace and table, inserts and selects a row', async () => {
    await client.connect();
    const version = await client.execute('SELECT release_version FROM system.local');
    expect(String(version.first().get('release_version'))).toMatch(/^5\.0\./);

    await client.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(`CREATE TABLE ${keyspace}.orders (order_id text PRIMARY KEY, total decimal, items int)`);
    await client.execute(`INSERT INTO ${keyspace}.orders (order_id, total, items) VALUES (?, ?, ?)`, [
      'o-1',
      '12.34',
      3,
    ]);
    const rows = await client.execute(`SELECT order_id, total, items FROM ${keyspace}.orders WHERE order_id = ?`, [
      'o-1',
    ]);
    expect(rows.rowLength).toBe(1);
    expect(rows.first().get('order_id')).toBe('o-1');
    expect(rows.first().get('total').toString()).toBe('12.34');
    expect(rows.first().get('items')).toBe(3);
  });
});
