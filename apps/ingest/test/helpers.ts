import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { createLogger, createRegistry, listen, loadConfig, startOpsServer } from '@salespipeline/shared';
import { createIngestApp, type IngestApp } from '../src/app.js';
import { ingestSpec } from '../src/config.js';

export interface RunningIngest extends IngestApp {
  url: string;
  /** The ops server (/metrics /healthz /readyz). */
  opsUrl: string;
  server: Server;
  stop: () => Promise<void>;
}

/** The API key the test ingest apps accept (unless a test configures its own). */
export const testApiKey = `test-key-${randomBytes(12).toString('hex')}`;
export const authHeaders = { authorization: `Bearer ${testApiKey}` } as const;

/** The ingest app in-process on a free port, accepting testApiKey. */
export async function startIngest(kafka: Kafka, env: Record<string, string>): Promise<RunningIngest> {
  const config = loadConfig(ingestSpec, {
    INGEST_PORT: '0',
    INGEST_HOST: '127.0.0.1',
    INGEST_API_KEYS: `test:${testApiKey}`,
    ...env,
  });
  const ingest = createIngestApp(config, {
    kafka,
    registry: createRegistry('ingest'),
    logger: createLogger('ingest', 'warn'),
  });
  const server = await listen(createServer(ingest.app), 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const opsServer = await startOpsServer({ ...ingest.opsOptions, port: 0, host: '127.0.0.1' });
  const opsUrl = `http://127.0.0.1:${(opsServer.address() as AddressInfo).port}`;
  return {
    ...ingest,
    url,
    opsUrl,
    server,
    stop: async () => {
      for (const s of [server, opsServer])
        await new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        });
      await ingest.close();
    },
  };
}

/** POSTs with testApiKey (headers may replace or add to it). */
export const post = (url: string, body: unknown, contentType = 'application/json', headers: object = authHeaders) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
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
