/** A keyspace of an earlier version is migrated in place: new columns added, rows written before kept. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { CASSANDRA_MIGRATIONS, createCassandraClient, createLogger, encodeOrder } from '@salespipeline/shared';
import { readRawOrders, testInfra, uniqueName } from '@salespipeline/shared/testing';
import { datedOrder } from '../src/aggregate.js';
import { CassandraSink } from '../src/cassandra-sink.js';
import { migrateCassandra } from '../src/migrate.js';

const infra = testInfra();
const client = createCassandraClient(infra);
const keyspace = uniqueName('sp_migrations');
const replication = { class: 'SimpleStrategy', replicationFactor: 1 } as const;
const logger = createLogger('test', 'warn');

afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await client.shutdown();
});

describe('Cassandra migrations', () => {
  it('brings a version-1 keyspace to the current shape, keeping its rows; several migrators at once agree', async () => {
    for (const statement of CASSANDRA_MIGRATIONS[0]!.statements(keyspace, replication)) await client.execute(statement);
    await client.execute(
      `INSERT INTO ${keyspace}.orders_by_id (order_id, status, kafka_partition) VALUES ('before', 'complete', 1)`,
    );

    await Promise.all([1, 2, 3].map(() => migrateCassandra(client, keyspace, replication, logger)));
    await migrateCassandra(client, keyspace, replication, logger);
    const columns = await client.execute(
      'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, 'orders_by_id'],
    );
    expect(columns.rows.map((r) => r.get('column_name') as string)).toContain('order_json');

    const old = (await client.execute(`SELECT * FROM ${keyspace}.orders_by_id WHERE order_id = 'before'`)).first();
    expect({ status: old.get('status') as string, json: old.get('order_json') as unknown }).toEqual({
      status: 'complete',
      json: null,
    });

    const order = {
      order_id: 'after',
      created_at: '2026-03-01T12:00:00.000Z',
      status: 'complete' as const,
      customer_id: 'c',
      payment_method: 'card',
      currency: 'EUR',
      items: [{ item_id: 'i', sku: 's', category: 'k', price: 1.5, qty_ordered: 2, discount_amount: 0 }],
      grand_total: 3,
    };
    await new CassandraSink(client, keyspace, { concurrency: 2, hourBatchRows: 10, idBatchRows: 10 }).write([
      {
        ...datedOrder(order),
        json: Buffer.from(encodeOrder(order).value),
        acceptedAt: Date.now(),
        partition: 0,
        offset: '0',
      },
    ]);
    // The test kit reads the new rows beside the old one, and names an old one it is asked for.
    expect([...(await readRawOrders(client, keyspace, 'after')).values()]).toEqual([order]);
    await expect(readRawOrders(client, keyspace)).rejects.toThrow('orders_by_id row before has no order_json');
  });
});
