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

export const kafkaSettings = {
  kafkaBrokers: setting.list({
    env: 'KAFKA_BROKERS',
    default: localInfra.kafkaBrokers,
    doc: 'Kafka bootstrap brokers, host:port',
  }),
  kafkaClientId: setting.string({ env: 'KAFKA_CLIENT_ID', default: 'salespipeline', doc: 'Kafka client id' }),
};

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
