#!/usr/bin/env node
import { createServer } from 'node:http';
import {
  configHelp,
  createKafka,
  createLogger,
  createRegistry,
  listen,
  loadConfig,
  onShutdown,
  runMain,
  startOpsServer,
} from '@salespipeline/shared';
import { createIngestApp } from './app.js';
import { ingestSpec } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig(ingestSpec);
  const logger = createLogger('ingest');
  const registry = createRegistry('ingest');
  const kafka = createKafka(config, logger);
  const ingest = createIngestApp(config, { kafka, registry, logger });
  const server = createServer(ingest.app);
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, config.host);
  const opsServer = await startOpsServer({ ...ingest.opsOptions, port: config.opsPort, host: config.opsHost });
  logger.info(
    { port: config.port, host: config.host, opsPort: config.opsPort, topic: config.ordersTopic },
    'ingest API listening',
  );
  onShutdown(logger, [
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    () => ingest.close(),
    () => new Promise<void>((resolve) => opsServer.close(() => resolve())),
  ]);
}

runMain(
  main,
  `salespipeline-ingest: HTTP API that validates orders and writes them to Kafka; /metrics on a separate ops port.\n\n${configHelp(ingestSpec)}`,
);
