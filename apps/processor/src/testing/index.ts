/**
 * The processor's test kit (@salespipeline/processor/testing): private stores (MySQL database, keyspace,
 * topic) migrated by the processor, written as it writes them, and the processor in-process on them,
 * for the processor's own tests and other packages' tests and benchmarks.
 */
import type cassandra from 'cassandra-driver';
import type { Kafka } from 'kafkajs';
import type mysql from 'mysql2/promise';
import {
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  encodeOrder,
  ensureTopics,
  loadConfig,
  type AcceptedOrder,
  topicsOf,
} from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';
import { aggregate, datedOrder, minuteStart } from '../aggregate.js';
import { CassandraSink } from '../cassandra-sink.js';
import { processorSpec } from '../config.js';
import { migrateCassandra, migrateMysql } from '../migrate.js';
import { MysqlSink } from '../mysql-sink.js';
import { startProcessor, type ProcessorConfig, type RunningProcessor } from '../processor.js';

// The processor itself, for tests and benchmarks that run it in-process.
export { processorSpec, startProcessor, type RunningProcessor };

/**
 * Whether another connection to `database` waits in the statement that locks a partition's offset row
 * (a member blocked behind another's batch transaction).
 */
export async function offsetRowLockWaits(pool: mysql.Pool, database: string): Promise<boolean> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
     WHERE ID <> CONNECTION_ID() AND DB = ? AND COMMAND = 'Query' AND INFO LIKE '%stream_offsets%FOR UPDATE%'`,
    [database],
  );
  return Number(rows[0]!.n) > 0;
}

const quietLogger = () => createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface TestEnv {
  topic: string;
  database: string;
  keyspace: string;
  /** Environment of a processor pointed at this fixture. */
  env: Record<string, string>;
  config: (extra?: Record<string, string>) => ProcessorConfig;
  kafka: Kafka;
  pool: mysql.Pool;
  cassandra: cassandra.Client;
  cleanup: () => Promise<void>;
}

/** A new, empty MySQL database named after `prefix`, and its URL. */
export async function createTestDatabase(prefix: string): Promise<{ database: string; mysqlUrl: string }> {
  const infra = testInfra();
  const database = uniqueName(`sp_test_${prefix}`);
  const admin = createMysqlPool(infra, { connectionLimit: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(infra.mysqlUrl);
  url.pathname = `/${database}`;
  return { database, mysqlUrl: url.toString() };
}

export async function createTestEnv(
  prefix: string,
  partitions = 3,
  topicConfig: { retentionMs?: number } = {},
): Promise<TestEnv> {
  const infra = testInfra();
  const topic = uniqueName(`${prefix}_orders`);
  const keyspace = uniqueName(`sp_${prefix}`);
  const kafka = createKafka(infra, createLogger('test', 'warn'));
  await ensureTopics(kafka, topic, { partitions, ...topicConfig });
  const { database, mysqlUrl } = await createTestDatabase(prefix);
  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
    MYSQL_URL: mysqlUrl,
    ORDERS_TOPIC: topic,
    CASSANDRA_KEYSPACE: keyspace,
    PROCESSOR_GROUP_ID: `${topic}_group`,
    PROCESSOR_OPS_PORT: '0',
    PROCESSOR_OPS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 4 });
  const client = createCassandraClient(infra);
  const logger = createLogger('test', 'warn');
  await migrateMysql(pool, logger);
  await migrateCassandra(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }, logger);
  return {
    topic,
    database,
    keyspace,
    env,
    config: (extra = {}) => loadConfig(processorSpec, { ...env, ...extra }),
    kafka,
    pool,
    cassandra: client,
    cleanup: async () => {
      await pool.query(`DROP DATABASE IF EXISTS ${database}`);
      await pool.end();
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await client.shutdown();
      const kadmin = kafka.admin();
      await kadmin.connect();
      await kadmin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
      await kadmin.disconnect();
    },
  };
}

export interface Stores {
  database: string;
  keyspace: string;
  mysqlUrl: string;
  pool: mysql.Pool;
  cassandra: cassandra.Client;
  /** Environment of an app pointed at these stores. */
  env: Record<string, string>;
  /** Stores orders exactly as the processor does (raw to Cassandra, aggregates + offset to MySQL). */
  seed: (orders: AcceptedOrder[]) => Promise<void>;
  cleanup: () => Promise<void>;
}

export async function createStores(prefix: string): Promise<Stores> {
  const infra = testInfra();
  const keyspace = uniqueName(`sp_${prefix}`);
  const { database, mysqlUrl } = await createTestDatabase(prefix);
  const pool = createMysqlPool({ mysqlUrl }, { connectionLimit: 4, multipleStatements: true });
  const client = createCassandraClient(infra);
  await migrateMysql(pool, quietLogger());
  await migrateCassandra(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }, quietLogger());
  const mysqlSink = new MysqlSink(pool, 15_000);
  const cassandraSink = new CassandraSink(client, keyspace, { concurrency: 8, hourBatchRows: 50, idBatchRows: 20 });
  let offset = 0n;
  return {
    database,
    keyspace,
    mysqlUrl,
    pool,
    cassandra: client,
    env: {
      MYSQL_URL: mysqlUrl,
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_KEYSPACE: keyspace,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    },
    seed: async (orders) => {
      const acceptedAt = Date.now();
      const dated = orders.map(datedOrder);
      await cassandraSink.write(
        dated.map(({ order, createdAt }, i) => ({
          order,
          createdAt,
          json: Buffer.from(encodeOrder(order).value),
          acceptedAt,
          partition: 0,
          offset: String(offset + BigInt(i)),
        })),
      );
      const open = await mysqlSink.begin('seed', 0);
      const processed = dated.map(({ order, createdAt }, i) => ({
        orderId: order.order_id,
        partition: 0,
        offset: String(offset + BigInt(i)),
        minute: minuteStart(createdAt),
        late: false,
        acceptedAt,
      }));
      offset += BigInt(orders.length);
      await open.claim(processed);
      await open.commit(aggregate(dated), { nextOffset: offset, fingerprint: 'seed', skipped: 0n });
    },
    cleanup: async () => {
      await pool.query(`DROP DATABASE IF EXISTS ${database}`);
      await pool.end();
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await client.shutdown();
    },
  };
}

/** The real processor in-process, consuming the topic into these stores. */
export function startStoresProcessor(stores: Stores, topic: string): Promise<RunningProcessor> {
  return startProcessor(
    loadConfig(processorSpec, {
      ...stores.env,
      ORDERS_TOPIC: topic,
      PROCESSOR_GROUP_ID: `${topic}_group`,
      PROCESSOR_OPS_PORT: '0',
      PROCESSOR_OPS_HOST: '127.0.0.1',
    }),
    { logger: createLogger('processor', 'warn') },
  );
}
