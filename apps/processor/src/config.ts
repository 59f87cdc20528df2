import {
  appPortVariables,
  cassandraSettings,
  kafkaSettings,
  mysqlSettings,
  parseReplication,
  setting,
} from '@salespipeline/shared';

const roleName = /^[a-z][a-z0-9_]{0,47}$/;
/**
 * The apps' own Cassandra roles, which `migrate` (run as a superuser: the operator's migrate init
 * container) creates or updates when their passwords are set: the processor's writes the keyspace
 * (SELECT, MODIFY), the dashboard's only reads it (SELECT). The apps then log in with these, never
 * as the superuser.
 */
export const cassandraRoleSettings = {
  cassandraProcessorRole: setting.string({
    env: 'CASSANDRA_PROCESSOR_ROLE',
    default: 'salespipeline_processor',
    pattern: roleName,
    doc: "The processor's Cassandra role (migrate: SELECT and MODIFY on the keyspace)",
  }),
  cassandraProcessorRolePassword: setting.optionalString({
    env: 'CASSANDRA_PROCESSOR_ROLE_PASSWORD',
    secret: true,
    doc: "migrate: create or update the processor's role with this password (unset: leave roles alone)",
  }),
  cassandraDashboardRole: setting.string({
    env: 'CASSANDRA_DASHBOARD_ROLE',
    default: 'salespipeline_dashboard',
    pattern: roleName,
    doc: "The dashboard's Cassandra role (migrate: SELECT on the keyspace only)",
  }),
  cassandraDashboardRolePassword: setting.optionalString({
    env: 'CASSANDRA_DASHBOARD_ROLE_PASSWORD',
    secret: true,
    doc: "migrate: create or update the dashboard's role with this password (unset: leave roles alone)",
  }),
};

/** Where the orders are stored; shared by `run` and `migrate`. */
export const storageSpec = {
  ...cassandraSettings,
  ...mysqlSettings,
  cassandraKeyspace: setting.string({
    env: 'CASSANDRA_KEYSPACE',
    default: 'salespipeline',
    pattern: /^[a-z][a-z0-9_]{0,47}$/,
    doc: 'Keyspace of the raw orders',
  }),
  cassandraReplication: setting.parsed({
    env: 'CASSANDRA_REPLICATION',
    kind: 'CQL replication map',
    default: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    doc: "Replication of the keyspace when it is created, e.g. {'class': 'NetworkTopologyStrategy', 'dc1': 3} (the operator sets min(3, nodes) per datacenter)",
    parse: parseReplication,
  }),
  ...cassandraRoleSettings,
};

export const topicSpec = {
  ...kafkaSettings,
  ordersTopic: setting.string({
    env: 'ORDERS_TOPIC',
    default: 'orders',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    doc: 'Kafka topic of accepted orders (<topic>.dlq and <topic>.late are derived)',
  }),
  topicPartitions: setting.int({
    env: 'TOPIC_PARTITIONS',
    default: 6,
    min: 1,
    max: 1000,
    doc: 'Partitions of the orders topic; .dlq and .late get a quarter, at least one (topics command only)',
  }),
  topicRetentionMs: setting.int({
    env: 'TOPIC_RETENTION_MS',
    default: 7 * 24 * 3600_000,
    min: 60_000,
    doc: 'retention.ms of the orders topic and of .dlq and .late (topics command only)',
  }),
};

export const processorSpec = {
  ...storageSpec,
  ...topicSpec,
  groupId: setting.string({
    env: 'PROCESSOR_GROUP_ID',
    default: 'salespipeline-processor',
    doc: 'Kafka consumer group',
  }),
  opsPort: setting.port({ env: appPortVariables.processor, default: 18081, doc: 'Port of /healthz /readyz /metrics' }),
  opsHost: setting.string({ env: 'PROCESSOR_OPS_HOST', default: '0.0.0.0', doc: 'Address of the ops server' }),
  maxBatch: setting.int({
    env: 'PROCESSOR_MAX_BATCH',
    default: 2000,
    min: 1,
    max: 20_000,
    doc: 'Most messages of a partition applied in one MySQL transaction',
  }),
  partitionsConcurrently: setting.int({
    env: 'PROCESSOR_PARTITIONS_CONCURRENCY',
    default: 6,
    min: 1,
    max: 64,
    doc: "Partition batches processed at the same time (never two of one partition): the default covers the orders topic's 6 partitions, so a lone processor overlaps the sinks' round trips of all of them",
  }),
  cassandraConcurrency: setting.int({
    env: 'CASSANDRA_CONCURRENCY',
    default: 16,
    min: 1,
    max: 1024,
    doc: 'Cassandra requests in flight per partition batch',
  }),
  cassandraHourBatchRows: setting.int({
    env: 'CASSANDRA_HOUR_BATCH_ROWS',
    default: 50,
    min: 1,
    max: 500,
    doc: 'Rows per batch of orders_by_hour, always within one hour partition',
  }),
  cassandraIdBatchRows: setting.int({
    env: 'CASSANDRA_ID_BATCH_ROWS',
    default: 20,
    min: 1,
    max: 100,
    doc: 'Most orders per unlogged batch of orders_by_id (one partition each; a batch also holds at most 16 KiB of orders, a larger order is written alone)',
  }),
  lateBoundMs: setting.int({
    env: 'LATE_BOUND_MS',
    default: 24 * 3600_000,
    min: 0,
    doc: 'Orders whose event time is older than this when accepted go to <topic>.late, raw only',
  }),
  retryMaxMs: setting.int({
    env: 'PROCESSOR_RETRY_MAX_MS',
    default: 10_000,
    min: 100,
    doc: 'Longest backoff between retries of a batch while a sink is down',
  }),
  sinkTimeoutMs: setting.int({
    env: 'PROCESSOR_SINK_TIMEOUT_MS',
    default: 15_000,
    min: 100,
    max: 600_000,
    doc: 'Longest one MySQL or Cassandra request may take before the batch is retried (a hung sink)',
  }),
  sessionTimeoutMs: setting.int({
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    default: 30_000,
    min: 6000,
    max: 300_000,
    doc: 'Consumer group session timeout; heartbeats every tenth of it',
  }),
  processedRetentionMs: setting.int({
    env: 'PROCESSED_ORDERS_RETENTION_MS',
    default: 0,
    min: -1,
    doc:
      'How long an order id stays in processed_orders (the dedupe set): 0 derives it from the orders ' +
      "topic's retention.ms + segment.ms + LATE_BOUND_MS + 5 min future bound + 1 h; -1 keeps ids forever; " +
      'a value shorter than that re-delivery window is refused at start-up',
  }),
  pruneIntervalMs: setting.int({
    env: 'PROCESSED_ORDERS_PRUNE_INTERVAL_MS',
    default: 600_000,
    min: 1000,
    doc: 'How often order ids older than the retention are deleted from processed_orders',
  }),
  mysqlPoolSize: setting.int({ env: 'MYSQL_POOL_SIZE', default: 8, min: 1, max: 200, doc: 'MySQL connections' }),
  fetchMaxWaitMs: setting.int({
    env: 'KAFKA_FETCH_MAX_WAIT_MS',
    default: 200,
    min: 0,
    max: 10_000,
    doc: 'Longest a Kafka fetch waits for KAFKA_FETCH_MIN_BYTES: at low rates the latency a fetch adds, and how often an idle processor asks (shorter = more idle fetches for the broker to answer)',
  }),
  fetchMinBytes: setting.int({
    env: 'KAFKA_FETCH_MIN_BYTES',
    default: 1_048_576,
    min: 1,
    max: 16_777_216,
    doc: "Bytes a Kafka fetch waits for (at most KAFKA_FETCH_MAX_WAIT_MS) before it returns: what one batch costs (a MySQL transaction per partition, the sinks' round trips, the aggregate rows it upserts) is then shared by more orders, at low rates and under load alike; 1 returns at the first message",
  }),
  offsetHintIntervalMs: setting.int({
    env: 'PROCESSOR_OFFSET_HINT_INTERVAL_MS',
    default: 1000,
    min: 10,
    max: 60_000,
    doc: "How often the offsets stored in MySQL are also committed to the Kafka consumer group, for tools reading the group's lag (the autoscaler); they trail MySQL's by at most this",
  }),
  maxBytesPerPartition: setting.int({
    env: 'KAFKA_MAX_BYTES_PER_PARTITION',
    default: 1_048_576,
    min: 1024,
    doc: 'Most bytes fetched per partition per request',
  }),
};
