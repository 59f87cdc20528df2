import { setting } from './config.js';

/**
 * Where the backing services are. The defaults are the local services that `make infra-up` starts
 * (scripts/infra/lib.sh holds the same ports); each can be pointed elsewhere by its variable.
 */
export const localInfra = {
  kafkaBrokers: '127.0.0.1:19092',
  cassandraContactPoints: '127.0.0.1:19042',
  cassandraLocalDc: 'datacenter1',
  mysqlUrl: 'mysql://salespipeline:salespipeline@127.0.0.1:13306/salespipeline',
  prometheusUrl: 'http://127.0.0.1:19090',
} as const;

export const kafkaConnectionSettings = {
  kafkaBrokers: setting.list({
    env: 'KAFKA_BROKERS',
    default: localInfra.kafkaBrokers,
    doc: 'Kafka bootstrap brokers, host:port',
  }),
  kafkaClientId: setting.string({ env: 'KAFKA_CLIENT_ID', default: 'salespipeline', doc: 'Kafka client id' }),
};

/** Optional client authentication and TLS (all off by default; the operator sets them for Strimzi's KafkaUsers). */
export const kafkaAuthSettings = {
  kafkaSaslMechanism: setting.oneOf({
    env: 'KAFKA_SASL_MECHANISM',
    values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
    default: 'none',
    doc: 'SASL mechanism (none: no SASL)',
  }),
  kafkaSaslUsername: setting.optionalString({ env: 'KAFKA_SASL_USERNAME', doc: 'SASL user name' }),
  kafkaSaslPassword: setting.optionalString({ env: 'KAFKA_SASL_PASSWORD', secret: true, doc: 'SASL password' }),
  kafkaSsl: setting.bool({ env: 'KAFKA_SSL', default: false, doc: 'Connect to the brokers over TLS' }),
  kafkaSslCa: setting.optionalString({ env: 'KAFKA_SSL_CA', doc: 'PEM CA bundle the brokers are verified with' }),
  kafkaSslCert: setting.optionalString({ env: 'KAFKA_SSL_CERT', doc: 'PEM client certificate (mutual TLS)' }),
  kafkaSslKey: setting.optionalString({ env: 'KAFKA_SSL_KEY', secret: true, doc: 'PEM client key (mutual TLS)' }),
};

export const kafkaSettings = { ...kafkaConnectionSettings, ...kafkaAuthSettings };

export const cassandraSettings = {
  cassandraContactPoints: setting.list({
    env: 'CASSANDRA_CONTACT_POINTS',
    default: localInfra.cassandraContactPoints,
    doc: 'Cassandra contact points, host:port',
  }),
  cassandraLocalDc: setting.string({
    env: 'CASSANDRA_LOCAL_DC',
    default: localInfra.cassandraLocalDc,
    doc: 'Cassandra local datacenter',
  }),
  cassandraUsername: setting.optionalString({
    env: 'CASSANDRA_USERNAME',
    doc: 'Cassandra user (unset: no authentication)',
  }),
  cassandraPassword: setting.optionalString({ env: 'CASSANDRA_PASSWORD', doc: 'Cassandra password', secret: true }),
};

export const mysqlSettings = {
  mysqlUrl: setting.url({
    env: 'MYSQL_URL',
    protocols: ['mysql'],
    default: localInfra.mysqlUrl,
    secret: true,
    doc: 'MySQL/MariaDB DSN, mysql://user:password@host:port/database',
  }),
};

/**
 * The variable that sets each app's HTTP port (its API, or its ops endpoints): read by the apps'
 * configs and set by the operator's Deployments, so the two cannot drift apart.
 */
export const appPortVariables = {
  ingest: 'INGEST_PORT',
  processor: 'PROCESSOR_OPS_PORT',
  dashboard: 'DASHBOARD_PORT',
} as const;

/** The variable of an app's separate ops port (/healthz /readyz /metrics), where its API port is public. */
export const opsPortVariables = { ingest: 'INGEST_OPS_PORT' } as const;
