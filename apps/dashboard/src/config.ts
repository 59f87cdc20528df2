import {
  appPortVariables,
  cassandraSettings,
  LATEST_ORDERS_PER_HOUR,
  mysqlSettings,
  setting,
} from '@salespipeline/shared';

export const dashboardSpec = {
  ...mysqlSettings,
  ...cassandraSettings,
  cassandraKeyspace: setting.string({
    env: 'CASSANDRA_KEYSPACE',
    default: 'salespipeline',
    pattern: /^[a-z][a-z0-9_]{0,47}$/,
    doc: 'Keyspace of the raw orders (latest orders are read from it)',
  }),
  port: setting.port({
    env: appPortVariables.dashboard,
    default: 18082,
    doc: 'HTTP port of the page, the API and /metrics',
  }),
  host: setting.string({ env: 'DASHBOARD_HOST', default: '0.0.0.0', doc: 'Address to listen on' }),
  pollIntervalMs: setting.int({
    env: 'DASHBOARD_POLL_INTERVAL_MS',
    default: 250,
    min: 50,
    max: 60_000,
    doc: 'How often the shared loop checks for new aggregates while at least one client is connected',
  }),
  heartbeatMs: setting.int({
    env: 'DASHBOARD_HEARTBEAT_MS',
    default: 15_000,
    min: 1000,
    max: 300_000,
    doc: 'SSE comment sent to idle clients so proxies keep the stream open',
  }),
  topN: setting.int({ env: 'DASHBOARD_TOP_N', default: 10, min: 1, max: 100, doc: 'Rows of the top-products lists' }),
  latestOrders: setting.int({
    env: 'DASHBOARD_LATEST_ORDERS',
    default: 20,
    min: 1,
    max: LATEST_ORDERS_PER_HOUR,
    doc: 'Rows of the latest-orders table (at most the newest orders of each hour the processor keeps in Cassandra)',
  }),
  latestOrdersLookbackHours: setting.int({
    env: 'DASHBOARD_LATEST_LOOKBACK_HOURS',
    default: 24,
    min: 1,
    max: 24 * 31,
    doc: 'How many hourly Cassandra partitions the latest-orders read may walk back',
  }),
  mysqlPoolSize: setting.int({ env: 'MYSQL_POOL_SIZE', default: 4, min: 1, max: 100, doc: 'MySQL connections' }),
  queryTimeoutMs: setting.int({
    env: 'DASHBOARD_QUERY_TIMEOUT_MS',
    default: 3000,
    min: 100,
    max: 60_000,
    doc: 'A refresh taking longer than this counts as a database failure (error banner)',
  }),
};
