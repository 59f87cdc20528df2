import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { uniqueName } from '@salespipeline/shared/testing';
// The real ingest API, in-process (the load generator's only dependency).
import { endOffsets, startIngestOnNewTopic, testApiKey, type RunningIngest } from '@salespipeline/ingest/testing';
import { OrderGenerator } from '../src/generate.js';
import { runLoad } from '../src/sender.js';

jest.setTimeout(60_000);

describe('load generator against the real ingest API and Kafka', () => {
  const topic = uniqueName('loadgen');
  let kafka: Kafka;
  let ingest: RunningIngest;

  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ kafka, ingest, cleanup } = await startIngestOnNewTopic(topic, 2));
  });
  afterAll(() => cleanup());

  it.each([1, 20])('sends at the set rate (batch size %i); every order is accepted and in Kafka', async (batchSize) => {
    const before = await endOffsets(kafka, topic);
    const generator = new OrderGenerator(batchSize, `lgt${batchSize}-`);
    const reports: number[] = [];
    const result = await runLoad({
      target: ingest.url,
      rate: 400,
      durationSeconds: 2,
      batchSize,
      concurrency: 8,
      apiKey: testApiKey,
      source: () => generator.next(),
      reportIntervalMs: 500,
      onReport: (r) => reports.push(r.accepted),
    });
    expect(result.totals.rejected + result.totals.failed + result.totals.unavailable).toBe(0);
    expect(result.totals.accepted).toBe(result.totals.sent);
    // The schedule is kept: every order of the 2 s at 400/s is sent or, when the machine is too busy
    // to send it in time, counted as behind; none more. (Throughput is a benchmark.)
    expect(result.totals.sent + result.totals.behind).toBe(800);
    expect(result.totals.accepted).toBeGreaterThan(0);
    // The closing report carries the totals, however few interval reports a busy machine allowed.
    expect(reports.at(-1)).toBe(result.totals.accepted);
    expect((await endOffsets(kafka, topic)) - before).toBe(result.totals.accepted);
  });
});
