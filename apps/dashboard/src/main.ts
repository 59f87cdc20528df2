#!/usr/bin/env node
import {
  closeServer,
  configHelp,
  createLogger,
  createRegistry,
  loadConfig,
  onShutdown,
  runMain,
  serve,
} from '@salespipeline/shared';
import { createDashboardApp } from './app.js';
import { dashboardSpec } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig(dashboardSpec);
  const logger = createLogger('dashboard');
  const dashboard = createDashboardApp(config, { registry: createRegistry('dashboard'), logger });
  const server = await serve(dashboard.app, config.port, config.host);
  logger.info({ port: config.port, host: config.host, pollIntervalMs: config.pollIntervalMs }, 'dashboard listening');
  onShutdown(logger, [
    async () => {
      dashboard.live.close();
      // SSE streams never end by themselves.
      await closeServer(server, 'all');
    },
    () => dashboard.close(),
  ]);
}

runMain(
  main,
  `salespipeline-dashboard: live sales dashboard (page, JSON API, Server-Sent Events) over MySQL and Cassandra.\n\n${configHelp(dashboardSpec)}`,
);
