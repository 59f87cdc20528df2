/**
 * The ingest API against its own OpenAPI document, checked by schemathesis (the common OpenAPI fuzzer,
 * installed by scripts/infra/schemathesis.sh): it generates requests from the document alone (its
 * examples, boundary values, fuzzed and schema-breaking bodies) and checks every response: no 5xx,
 * status, headers, content type and body as documented, schema-breaking input rejected. The statuses it
 * cannot provoke on its own (a body over the limit, the rate limit, Kafka away, a missing key) are
 * provoked here and checked against the same document, so that every documented status is seen.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, ensureTopics, EXAMPLE_ORDER } from '@salespipeline/shared';
import {
  type DocumentedMedia,
  kafkaVia,
  schemaChecker,
  TcpProxy,
  testInfra,
  uniqueName,
  waitReady,
} from '@salespipeline/shared/testing';
import { post, startIngest, testApiKey, type RunningIngest } from './helpers.js';

jest.setTimeout(600_000);

const repo = new URL('../../../', import.meta.url).pathname;

interface Doc {
  paths: Record<string, { post: { responses: Record<string, { content: Record<string, DocumentedMedia> }> } }>;
  components: object;
}

function schemathesis(): string {
  const r = spawnSync('bash', [`${repo}scripts/infra/schemathesis.sh`, 'path'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`schemathesis is not installed (make setup): ${r.stderr}`);
  return r.stdout.trim();
}

describe('ingest API conforms to its OpenAPI document (schemathesis, real Kafka)', () => {
  const infra = testInfra();
  const topic = uniqueName('contract');
  const [host, port] = infra.kafkaBrokers[0]!.split(':') as [string, string];
  const proxy = new TcpProxy(host, Number(port));
  const work = mkdtempSync(`${tmpdir()}/sp-contract-`);
  const maxBodyBytes = 1_000_000;
  let kafka: Kafka;
  let ingest: RunningIngest;
  let doc: Doc;

  beforeAll(async () => {
    await ensureTopics(createKafka(infra, createLogger('test', 'warn')), topic, { partitions: 1 });
    const proxyPort = await proxy.start();
    // Kafka behind a proxy (and every broker connection through it) so that the test can take it away.
    kafka = kafkaVia(proxyPort, 'contract');
    ingest = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_MAX_BODY_BYTES: String(maxBodyBytes),
    });
    await waitReady(ingest.url, { what: 'ingest ready' });
    doc = (await (await fetch(`${ingest.url}/openapi.json`)).json()) as Doc;
  });
  afterAll(async () => {
    await ingest?.stop();
    await proxy.cut();
    rmSync(work, { recursive: true, force: true });
  });

  /** The response is a documented status of the operation and its body matches the documented schema. */
  const conforms = async (path: string, res: Response) => {
    const documented = doc.paths[path]!.post.responses[String(res.status)];
    expect({ path, status: res.status, documented: documented !== undefined }).toEqual({
      path,
      status: res.status,
      documented: true,
    });
    const body: unknown = await res.json();
    const errors = schemaChecker(doc)(documented!.content['application/json']!, body);
    expect({ body, errors }).toEqual({ body, errors: null });
    return res.status;
  };

  it('passes schemathesis, and every documented status is reachable and as documented', async () => {
    const har = `${work}/run.har`;
    const args = [
      'run',
      `${ingest.url}/openapi.json`,
      '--url',
      ingest.url,
      '--header',
      `Authorization: Bearer ${testApiKey}`,
      // Every check but positive_data_acceptance: JSON Schema cannot say that grand_total is the sum of
      // the lines (or that created_at is not in the future), so orders the schema allows may get a 400.
      '--checks',
      'all',
      '--exclude-checks',
      'positive_data_acceptance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '40',
      '--seed',
      '20260301',
      '--workers',
      '1',
      '--suppress-health-check',
      'all',
      '--report',
      'har',
      '--report-har-path',
      har,
    ];
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      // Asynchronously: the API under test runs in this process. In `work`: it writes a cache there.
      execFile(
        schemathesis(),
        args,
        { cwd: work, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-20_000) }).toEqual({
      code: 0,
      output: '',
    });

    const entries = (
      JSON.parse(readFileSync(har, 'utf8')) as {
        log: { entries: Array<{ request: { url: string; method: string }; response: { status: number } }> };
      }
    ).log.entries;
    const seen = new Map<string, Set<number>>(Object.keys(doc.paths).map((p) => [p, new Set<number>()]));
    for (const e of entries) {
      if (e.request.method === 'POST') seen.get(new URL(e.request.url).pathname)?.add(e.response.status);
    }
    // Schemathesis itself gets orders accepted and rejected on both operations.
    for (const statuses of seen.values()) expect([...statuses]).toEqual(expect.arrayContaining([202, 400]));

    const batch = { orders: [EXAMPLE_ORDER] };
    const bodies: Record<string, unknown> = { '/v1/orders': EXAMPLE_ORDER, '/v1/orders/batch': batch };
    for (const path of Object.keys(doc.paths)) {
      const url = `${ingest.url}${path}`;
      const statuses = seen.get(path)!;
      statuses.add(await conforms(path, await post(url, bodies[path], 'application/json', {})));
      statuses.add(await conforms(path, await post(url, bodies[path], 'text/plain')));
      statuses.add(await conforms(path, await post(url, `"${'x'.repeat(maxBodyBytes)}"`)));
    }
    // A key with only orders:read, one per path (the rate limit of 1 request is per key).
    const readerKeys = Object.keys(doc.paths).map((_, i) => `contract-reader-${i}-${'r'.repeat(16)}`);
    const limited = await startIngest(kafka, {
      ORDERS_TOPIC: topic,
      INGEST_RATE_LIMIT_PER_SECOND: '0.001',
      INGEST_RATE_LIMIT_BURST: '1',
      INGEST_API_KEYS: [`test:${testApiKey}`, ...readerKeys.map((k, i) => `reader${i}:${k}:orders:read`)].join('\n'),
    });
    try {
      for (const [i, path] of Object.keys(doc.paths).entries()) {
        const reader = { authorization: `Bearer ${readerKeys[i]}` };
        seen
          .get(path)!
          .add(await conforms(path, await post(`${limited.url}${path}`, bodies[path], 'application/json', reader)));
        const once = await post(`${limited.url}${path}`, bodies[path]);
        await once.body?.cancel();
        seen.get(path)!.add(await conforms(path, await post(`${limited.url}${path}`, bodies[path])));
      }
    } finally {
      await limited.stop();
    }
    await proxy.cut();
    for (const path of Object.keys(doc.paths)) {
      seen.get(path)!.add(await conforms(path, await post(`${ingest.url}${path}`, bodies[path])));
    }
    await proxy.restore();

    for (const [path, statuses] of seen) {
      const documented = Object.keys(doc.paths[path]!.post.responses).map(Number).sort();
      expect({ path, reached: documented.filter((s) => statuses.has(s)) }).toEqual({ path, reached: documented });
      expect({ path, serverErrors: [...statuses].filter((s) => s >= 500 && s !== 503) }).toEqual({
        path,
        serverErrors: [],
      });
    }
  });
});
