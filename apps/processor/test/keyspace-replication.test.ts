/** The keyspace is created with the replication the processor is given (the operator's NetworkTopologyStrategy). */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createCassandraClient, createLogger, loadConfig, replicationCql } from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';
import { processorSpec } from '../src/config.js';
import { migrateCassandra } from '../src/migrate.js';

const infra = testInfra();
const client = createCassandraClient(infra);
const keyspace = uniqueName('sp_replication');

afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await client.shutdown();
});

describe('keyspace replication', () => {
  it('creates the keyspace with CASSANDRA_REPLICATION and keeps an existing one, reporting the difference', async () => {
    const dc = infra.cassandraLocalDc;
    const config = loadConfig(processorSpec, {
      CASSANDRA_REPLICATION: `{'class': 'NetworkTopologyStrategy', '${dc}': 1}`,
    });
    const logger = createLogger('test', 'warn');
    const created = await migrateCassandra(client, keyspace, config.cassandraReplication, logger);
    expect(created.replication).toEqual({ class: 'NetworkTopologyStrategy', datacenters: { [dc]: 1 } });
    const row = (
      await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])
    ).first();
    expect(row.replication).toEqual({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', [dc]: '1' });

    // Asked for another replication later: the keyspace keeps its own (a change needs a repair).
    const warnings: unknown[] = [];
    const again = await migrateCassandra(
      client,
      keyspace,
      { class: 'SimpleStrategy', replicationFactor: 1 },
      Object.assign(Object.create(logger) as typeof logger, { warn: (o: unknown) => warnings.push(o) }),
    );
    expect(replicationCql(again.replication)).toBe(`{'class': 'NetworkTopologyStrategy', '${dc}': 1}`);
    expect(warnings).toEqual([
      expect.objectContaining({ keyspace, wanted: "{'class': 'SimpleStrategy', 'replication_factor': 1}" }),
    ]);
  });

  it('refuses a replication map it cannot read, naming the variable', () => {
    expect(() => loadConfig(processorSpec, { CASSANDRA_REPLICATION: "{'class': 'NetworkTopologyStrategy'}" })).toThrow(
      /CASSANDRA_REPLICATION: NetworkTopologyStrategy needs a replica count/,
    );
  });
});
