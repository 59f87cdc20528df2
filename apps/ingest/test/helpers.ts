import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { createLogger, createRegistry, listen, loadConfig } from '@salespipeline/shared';
import { createIngestApp, type IngestApp } from '../src/app.js';
import { ingestSpec } from '../src/config.js';

export interface RunningIngest extends IngestApp {
  url: string;
  server: Server;
  stop: () => Promise<void>;
}

/** The ingest app in-process on a free port. */
export async function startIngest(kafka: Kafka, env: Record<string, string>): Promise<RunningIngest> {
  const config = loadConfig(ingestSpec, { INGEST_PORT: '0', INGEST_HOST: '127.0.0.1', ...env });
  const ingest = createIngestApp(config, {
    kafka,
    registry: createRegistry('ingest'),
    logger: createLogger('ingest', 'warn'),
  });
  const server = await listen(createServer(ingest.app), 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...ingest,
    url,
    server,
    stop: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await ingest.close();
    },
  };
}

export const post = (url: string, body: unknown, contentType = 'application/json') =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** Sum of the end offsets of a topic. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}
