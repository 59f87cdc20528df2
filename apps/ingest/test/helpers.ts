import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { createLogger, createRegistry, listen, loadConfig } from '@salespipeline/shared';
import { waitFor } from '@salespipeline/shared/testing';
import { createIngestApp, type IngestApp } from '../src/app.js';
import { ingestSpec } from '../src/config.js';

export interface RunningIngest extends IngestApp {
  url: string;
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

/** How many times each key is on the topic, over every message it holds now. */
export async function keyCounts(kafka: Kafka, topic: string): Promise<Map<string, number>> {
  const total = await endOffsets(kafka, topic);
  const consumer = kafka.consumer({ groupId: `read-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const counts = new Map<string, number>();
    let read = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = String(message.key);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        read += 1;
      },
    });
    await waitFor(async () => read >= total, { what: `the ${total} messages of ${topic}`, timeoutMs: 60_000 });
    return counts;
  } finally {
    await consumer.disconnect();
  }
}

/** A counter of the app's /metrics (0 when absent). */
export async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
