import cassandra from 'cassandra-driver';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import mysql from 'mysql2/promise';
import type { ConfigOf } from './config.js';
import type { cassandraSettings, kafkaAuthSettings, kafkaConnectionSettings, mysqlSettings } from './infra.js';
import { kafkaLogCreator } from './kafka-log.js';
import { patchKafkaRequestQueue } from './kafka-request-queue.js';
import type { Logger } from './logger.js';

export type KafkaClientConfig = ConfigOf<typeof kafkaConnectionSettings> & Partial<ConfigOf<typeof kafkaAuthSettings>>;

/** kafkajs' sasl and ssl options from the settings; both absent unless configured. */
export function kafkaSecurity(config: KafkaClientConfig): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const mechanism = config.kafkaSaslMechanism ?? 'none';
  const tls = config.kafkaSsl || Boolean(config.kafkaSslCert);
  return {
    ...(mechanism === 'none'
      ? {}
      : {
          sasl: {
            mechanism,
            username: config.kafkaSaslUsername ?? '',
            password: config.kafkaSaslPassword ?? '',
          } as SASLOptions,
        }),
    ...(tls
      ? {
          ssl: {
            ...(config.kafkaSslCa ? { ca: [config.kafkaSslCa] } : {}),
            ...(config.kafkaSslCert ? { cert: config.kafkaSslCert } : {}),
            ...(config.kafkaSslKey ? { key: config.kafkaSslKey } : {}),
          },
        }
      : {}),
  };
}

export function createKafka(config: KafkaClientConfig, logger: Logger): Kafka {
  patchKafkaRequestQueue();
  return new Kafka({
    clientId: config.kafkaClientId,
    brokers: config.kafkaBrokers,
    ...kafkaSecurity(config),
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
  });
}

export function createCassandraClient(
  config: ConfigOf<typeof cassandraSettings>,
  options: { keyspace?: string; readTimeoutMs?: number } = {},
): cassandra.Client {
  const { cassandraUsername: username, cassandraPassword: password } = config;
  return new cassandra.Client({
    contactPoints: config.cassandraContactPoints,
    localDataCenter: config.cassandraLocalDc,
    ...(options.keyspace ? { keyspace: options.keyspace } : {}),
    ...(username ? { credentials: { username, password: password ?? '' } } : {}),
    ...(options.readTimeoutMs ? { socketOptions: { readTimeout: options.readTimeoutMs } } : {}),
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
  });
}

/**
 * mysql2's own formatting of a query (its placeholders filled with escaped values), except that a
 * query without values is sent as it is: mysql2 formats it with no values, which scans the whole
 * text for placeholders, quotes and comments to replace nothing (a processor chunk's statements are
 * ~100 bytes per order, their values already escaped).
 */
export function formatQuery(
  this: { config: { stringifyObjects?: boolean } },
  sql: string,
  values: unknown,
  timezone?: string,
): string {
  if (values === undefined || values === null || (Array.isArray(values) && values.length === 0)) return sql;
  type Format = Parameters<typeof mysql.format>;
  return mysql.format(sql, values as Format[1], this.config.stringifyObjects ?? false, timezone as Format[3]);
}

/**
 * `multipleStatements`: queries may hold several statements (the processor's sink sends a batch's
 * statements in one round trip; its values are always escaped).
 */
export function createMysqlPool(
  config: ConfigOf<typeof mysqlSettings>,
  options: { connectionLimit?: number; multipleStatements?: boolean } = {},
): mysql.Pool {
  return mysql.createPool({
    uri: config.mysqlUrl,
    connectionLimit: options.connectionLimit ?? 10,
    multipleStatements: options.multipleStatements ?? false,
    // No stack trace captured per query (it cost more than the query's own client work); an error
    // still carries the server's message and code.
    trace: false,
    queryFormat: formatQuery,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    decimalNumbers: true,
    enableKeepAlive: true,
  });
}
