import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createKafka, serve, type Logger, type OpsOptions } from '@salespipeline/shared';
import { createIngestApp } from './app.js';
import type { IngestConfig } from './config.js';
import type { OrderProducer } from './producer.js';

export interface ServingApi {
  address: AddressInfo;
  /** What the ops endpoints serve about this API. */
  opsOptions: OpsOptions;
  /** Stops accepting, answers the requests in flight (their orders acknowledged or 503), closes Kafka. */
  stop: () => Promise<void>;
}

/** The ingest API listening on the configured port (after `beforeListen`), with its own Kafka producer. */
export async function serveApi(
  config: IngestConfig,
  logger: Logger,
  registry: Registry,
  beforeListen?: (producer: OrderProducer) => Promise<void>,
): Promise<ServingApi> {
  const kafka = createKafka(config, logger);
  const ingest = createIngestApp(config, { kafka, registry, logger });
  await beforeListen?.(ingest.producer);
  const server = await serve(ingest.app, config.port, config.host);
  return {
    address: server.address() as AddressInfo,
    opsOptions: ingest.opsOptions,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ingest.close();
    },
  };
}
