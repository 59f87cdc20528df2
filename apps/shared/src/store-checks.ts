/** Readiness checks of the stores, the same in every process that reads or writes them. */
import type cassandra from 'cassandra-driver';
import type { ReadinessCheck } from './ops.js';

/** MySQL answers a statement; `query` runs one (a pool's, or a sink's with its own timeout). */
export const mysqlReadiness = (query: (sql: string) => Promise<unknown>): ReadinessCheck => ({
  name: 'mysql',
  check: async () => void (await query('SELECT 1')),
});

/** Cassandra answers a query on its node-local table. */
export const cassandraReadiness = (client: Pick<cassandra.Client, 'execute'>): ReadinessCheck => ({
  name: 'cassandra',
  check: async () => void (await client.execute('SELECT key FROM system.local')),
});
