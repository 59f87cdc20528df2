/**
 * The ingest HTTP API: the ops endpoints /healthz and /readyz (the metrics stay on the ops port),
 * /openapi.json, the order routes (routes.ts) and the shared error tail, which answers every error
 * with a machine-readable body {error, message, errors?: [{index?, path, message}]}.
 */
import express from 'express';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { errorHandler, notFound, withOps, type Logger, type OpsOptions } from '@salespipeline/shared';
import type { IngestConfig } from './config.js';
import { ApiKeySource } from './key-file.js';
import { ingestMetrics } from './metrics.js';
import { servedDocument } from './openapi.js';
import { OrderProducer } from './producer.js';
import { kafkaReadiness } from './readiness.js';
import { mountOrderRoutes } from './routes.js';

export interface IngestApp {
  app: express.Express;
  producer: OrderProducer;
  /** What the ops server (/metrics /healthz /readyz, on the ops port) serves. */
  opsOptions: OpsOptions;
  close: () => Promise<void>;
}

export function createIngestApp(
  config: IngestConfig,
  deps: { kafka: Kafka; registry: Registry; logger: Logger },
): IngestApp {
  const { kafka, registry, logger } = deps;
  const keys = apiKeySource(config, registry, logger);
  const producer = new OrderProducer(kafka, {
    topic: config.ordersTopic,
    maxRequestBytes: config.maxRequestBytes,
    maxQueuedBytes: config.maxQueuedBytes,
    ackTimeoutMs: config.ackTimeoutMs,
    lingerMs: config.kafkaLingerMs,
    compression: config.kafkaCompression,
    registry,
    logger,
  });
  void producer.start();
  const metrics = ingestMetrics(registry);
  const readiness = kafkaReadiness(kafka, producer, config.ordersTopic);
  const opsOptions: OpsOptions = { registry, logger, checks: [readiness.check] };

  // The public port answers health checks but keeps the metrics to the ops port.
  const app = withOps(express(), { ...opsOptions, paths: ['/healthz', '/readyz'] });
  mountOrderRoutes(app, { config, keys: () => keys?.keys() ?? [], producer, metrics, logger });
  const openapi = JSON.stringify(servedDocument());
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.use(notFound(), errorHandler({ logger, onReject: (reason) => metrics.rejected.inc({ reason }) }));

  return {
    app,
    producer,
    opsOptions,
    close: async () => {
      keys?.close();
      await producer.close();
      await readiness.close();
    },
  };
}

/** The API keys with auth required (undefined when disabled), and a log line saying which. */
function apiKeySource(config: IngestConfig, registry: Registry, logger: Logger): ApiKeySource | undefined {
  if (config.auth === 'disabled') {
    logger.warn('authentication disabled (INGEST_AUTH=disabled): for local development only');
    return undefined;
  }
  const keys = new ApiKeySource({
    apiKeys: config.apiKeys,
    apiKeysFile: config.apiKeysFile,
    pollMs: config.apiKeysPollSeconds * 1000,
    required: true,
    registry,
    logger,
  });
  logger.info({ keys: keys.keys().map((k) => k.name) }, 'API keys loaded');
  return keys;
}
