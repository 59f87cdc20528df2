#!/usr/bin/env node
import { createServer } from 'node:http';
import {
  configHelp,
  createLogger,
  createRegistry,
  listen,
  loadConfig,
  onShutdown,
  runMain,
} from '@salespipeline/shared';
import { createDashboardApp } from './app.js';
import { dashboardSpec } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig(dashboardSpec);
  const logger = createLogger('dashboard');
  const registry = createRegistry('dashboard');
  const dashboard = createDashboardApp(config, { registry, logger });
  const server = createServer(dashboard.app);
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, config.host);
  logger.info({ port: config.port, host: config.host, pollIntervalMs: config.pollIntervalMs }, 'dashboard listening');
  onShutdown(logger, [
    async () => {
      dashboard.live.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams never end by themselves.
        server.closeAllConnections();
      });
    },
    () => dashboard.close(),
  ]);
}

runMain(
  main,
  `salespipeline-dashboard: live sales dashboard (page, JSON API, Server-Sent Events) over MySQL and Cassandra.\n\n${configHelp(dashboardSpec)}`,
);
