/**
 * API key rotation without a restart: the key file laid out as Kubernetes mounts a Secret (the file
 * is a symlink through `..data`, which is swapped to a new timestamped folder on update).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, ensureTopics } from '@salespipeline/shared';
import { orderArbitrary, testInfra, uniqueName, waitFor, waitReady } from '@salespipeline/shared/testing';
import { endOffsets, post, startIngest, type RunningIngest } from './helpers.js';

jest.setTimeout(90_000);

const stable = `rotation-stable-${'s'.repeat(20)}`;
const old = `rotation-old-${'o'.repeat(20)}`;
const fresh = `rotation-new-${'n'.repeat(20)}`;
const orders = fc.sample(orderArbitrary({ idPrefix: 'rot-' }), 400).map((o, i) => ({ ...o, order_id: `rot-${i}` }));
let next = 0;
const order = () => orders[next++ % orders.length]!;

/** A Secret volume: <dir>/api-keys → ..data/api-keys, ..data → ..<version>; update = new folder + swap. */
class SecretVolume {
  readonly dir = mkdtempSync(join(tmpdir(), 'sp-secret-'));
  private version = 0;
  readonly file = join(this.dir, 'api-keys');

  constructor(content: string) {
    this.write(content);
    symlinkSync('..data/api-keys', this.file);
  }

  write(content: string): void {
    const folder = `..${++this.version}`;
    mkdirSync(join(this.dir, folder));
    writeFileSync(join(this.dir, folder, 'api-keys'), content);
    symlinkSync(folder, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.version > 1) rmSync(join(this.dir, `..${this.version - 1}`), { recursive: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('API key rotation (real Kafka)', () => {
  const infra = testInfra();
  const topic = uniqueName('ingest_rotation');
  let kafka: Kafka;
  let ingest: RunningIngest;
  let volume: SecretVolume;
  const status = async (key: string) =>
    (await post(`${ingest.url}/v1/orders`, order(), 'application/json', { 'x-api-key': key })).status;

  beforeAll(async () => {
    kafka = createKafka(infra, createLogger('test', 'warn'));
    await ensureTopics(kafka, topic, { partitions: 1 });
    volume = new SecretVolume(`stable:${stable}\nold:${old}\n`);
    ingest = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_API_KEYS: '',
      INGEST_API_KEYS_FILE: volume.file,
      // The watch must do it: the poll fallback is too slow to matter within this test.
      INGEST_API_KEYS_POLL_SECONDS: '3600',
    });
    await waitReady(ingest.url, { what: 'ingest ready' });
  });
  afterAll(async () => {
    await ingest?.stop();
    volume?.remove();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('takes the new keys when the mounted Secret changes, answering every request meanwhile', async () => {
    expect(await status(old)).toBe(202);
    expect(await status(fresh)).toBe(401);
    const before = await endOffsets(kafka, topic);

    // A client with the key kept across the rotation posts without pause while the Secret changes.
    let stop = false;
    const answers: number[] = [];
    const client = (async () => {
      while (!stop) answers.push(await status(stable));
    })();
    volume.write(`stable:${stable}\nnew:${fresh}:orders:write\n`);
    await waitFor(async () => (await status(fresh)) === 202, { what: 'the new key accepted' });
    expect(await status(old)).toBe(401);
    stop = true;
    await client;
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s !== 202)).toEqual([]);
    // Every 202 is in Kafka: the stable client's, and the new key's first.
    expect((await endOffsets(kafka, topic)) - before).toBe(answers.length + 1);

    // A broken update keeps the last good keys, and says so.
    volume.write('not a key file');
    await waitFor(
      async () =>
        /ingest_api_keys_reloads_total\{result="error",app="ingest"\} 1/.test(
          await (await fetch(`${ingest.opsUrl}/metrics`)).text(),
        ),
      { what: 'the failed reload reported' },
    );
    expect(await status(fresh)).toBe(202);
    expect(await status(stable)).toBe(202);
  });
});
