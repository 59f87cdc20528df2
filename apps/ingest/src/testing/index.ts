/**
 * The ingest API's test kit (@salespipeline/ingest/testing): the app in-process with a test API key, and
 * readers of what it produced, for the ingest's own tests and other packages' tests and benchmarks.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import {
  closeServer,
  createKafka,
  createLogger,
  createRegistry,
  ensureTopics,
  serve,
  loadConfig,
  startOpsServer,
  topicsOf,
} from '@salespipeline/shared';
import { testInfra, waitFor, waitReady } from '@salespipeline/shared/testing';
import { createIngestApp, type IngestApp } from '../app.js';
import { ingestSpec } from '../config.js';

export { metricValue } from '@salespipeline/shared/testing';

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
  const server = await serve(ingest.app, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const opsServer = await startOpsServer({ ...ingest.opsOptions, port: 0, host: '127.0.0.1' });
  const opsUrl = `http://127.0.0.1:${(opsServer.address() as AddressInfo).port}`;
  return {
    ...ingest,
    url,
    opsUrl,
    server,
    stop: async () => {
      for (const s of [server, opsServer]) await closeServer(s, 'all');
      await ingest.close();
    },
  };
}

/** A new orders topic (with its side topics) and the ingest app on it, ready; `cleanup` stops it and deletes the topics. */
export async function startIngestOnNewTopic(
  topic: string,
  partitions: number,
  env: Record<string, string> = {},
): Promise<{ kafka: Kafka; ingest: RunningIngest; cleanup: () => Promise<void> }> {
  const kafka = createKafka(testInfra(), createLogger('test', 'warn'));
  await ensureTopics(kafka, topic, { partitions });
  const ingest = await startIngest(kafka, { ORDERS_TOPIC: topic, ...env });
  await waitReady(ingest.url, { what: 'ingest ready' });
  const cleanup = async () => {
    await ingest.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) });
    await admin.disconnect();
  };
  return { kafka, ingest, cleanup };
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

/** Every message the topic holds now (key and value as text), in the order of each partition. */
export async function readTopic(kafka: Kafka, topic: string): Promise<Array<{ key: string; value: string }>> {
  const total = await endOffsets(kafka, topic);
  const consumer = kafka.consumer({ groupId: `read-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const messages: Array<{ key: string; value: string }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push({ key: String(message.key), value: String(message.value) });
      },
    });
    await waitFor(async () => messages.length >= total, {
      what: `the ${total} messages of ${topic}`,
      timeoutMs: 60_000,
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** How many times each key is on the topic, over every message it holds now. */
export async function keyCounts(kafka: Kafka, topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { key } of await readTopic(kafka, topic)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}
