#!/usr/bin/env node
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import {
  configHelp,
  createLogger,
  createRegistry,
  loadConfig,
  onShutdown,
  runMain,
  startOpsServer,
} from '@salespipeline/shared';
import { ingestSpec } from './config.js';
import { serveApi } from './serve.js';
import { runPrimary, runWorker } from './workers.js';

async function main(): Promise<void> {
  if (cluster.isWorker) return runWorker();
  const config = loadConfig(ingestSpec);
  const logger = createLogger('ingest');
  if (config.workers > 1) return runPrimary(config, logger);
  const api = await serveApi(config, logger, createRegistry('ingest'));
  const opsServer = await startOpsServer({ ...api.opsOptions, port: config.opsPort, host: config.opsHost });
  logger.info(
    {
      port: api.address.port,
      host: config.host,
      opsPort: (opsServer.address() as AddressInfo).port,
      topic: config.ordersTopic,
      workers: 1,
    },
    'ingest API listening',
  );
  onShutdown(logger, [api.stop, () => new Promise<void>((resolve) => opsServer.close(() => resolve()))]);
}

runMain(
  main,
  `salespipeline-ingest: HTTP API that validates orders and writes them to Kafka; /metrics on a separate ops port.\n\n${configHelp(ingestSpec)}`,
);
