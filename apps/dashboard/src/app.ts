/** The dashboard server: the static page, the JSON API with its SSE stream, and /healthz /readyz /metrics. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type cassandra from 'cassandra-driver';
import express from 'express';
import type mysql from 'mysql2/promise';
import type { Registry } from 'prom-client';
import {
  cassandraReadiness,
  createCassandraClient,
  createMysqlPool,
  errorHandler,
  mysqlReadiness,
  notFound,
  withOps,
  type ConfigOf,
  type Logger,
  type OpsOptions,
} from '@salespipeline/shared';
import { createApi } from './api.js';
import type { dashboardSpec } from './config.js';
import { dashboardMetrics } from './metrics.js';
import { LiveDashboard } from './poller.js';
import { SalesReader } from './queries.js';

export type DashboardConfig = ConfigOf<typeof dashboardSpec>;

export interface DashboardApp {
  app: express.Express;
  live: LiveDashboard;
  reader: SalesReader;
  pool: mysql.Pool;
  cassandra: cassandra.Client;
  /** Ends the SSE streams' loop and closes the database clients (close the HTTP server first). */
  close: () => Promise<void>;
}

export const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));

export function createDashboardApp(
  config: DashboardConfig,
  deps: { registry: Registry; logger: Logger },
): DashboardApp {
  const { registry, logger } = deps;
  const metrics = dashboardMetrics(registry);
  const pool = createMysqlPool(config, { connectionLimit: config.mysqlPoolSize });
  // Unhandled 'error' events of idle connections (server gone) must not crash the process.
  pool.pool.on('connection', (conn) => conn.on('error', () => undefined));
  const cassandraClient = createCassandraClient(config);
  const reader = new SalesReader(pool, cassandraClient, config.cassandraKeyspace);
  const live = new LiveDashboard(
    reader,
    {
      pollIntervalMs: config.pollIntervalMs,
      queryTimeoutMs: config.queryTimeoutMs,
      topN: config.topN,
      latestOrders: config.latestOrders,
      latestOrdersLookbackHours: config.latestOrdersLookbackHours,
    },
    metrics,
    logger,
  );

  const ops: OpsOptions = {
    registry,
    logger,
    checks: [mysqlReadiness((sql) => pool.query(sql)), cassandraReadiness(cassandraClient)],
  };
  const app = withOps(express(), ops);
  const apiOptions = { heartbeatMs: config.heartbeatMs, queryTimeoutMs: config.queryTimeoutMs };
  app.use('/api', createApi(live, reader, apiOptions, metrics, logger));
  app.use('/vendor/uplot', express.static(uplotDir, { maxAge: '1h', index: false }));
  app.use(express.static(publicDir, { maxAge: 0, index: 'index.html' }));
  app.use(notFound(), errorHandler({ logger }));

  return {
    app,
    live,
    reader,
    pool,
    cassandra: cassandraClient,
    close: async () => {
      live.close();
      await pool.end().catch(() => undefined);
      await cassandraClient.shutdown().catch(() => undefined);
    },
  };
}
