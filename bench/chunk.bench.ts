/**
 * The processor's own work per order, without Kafka, MySQL or Cassandra: chunks of generated orders,
 * as kafkajs hands them over, applied by the processor's ChunkApplier, BENCH_CHUNK_PARTITIONS of them
 * at a time (a fetch's partition batches), with sinks that answer at once: the MySQL statements are
 * written as text as for the server, the Cassandra requests encoded by the driver into frames as for
 * the socket. Reports CPU seconds and garbage collection per 1,000 orders; the process runs with the
 * processor's V8 flags (processorNodeOptions). Whole-process figures of the drain and pipeline
 * benchmarks swing with whatever else the machine runs; these repeat within a few per cent, so
 * compare two versions of the processor by this one, run alternately.
 *   npx tsx bench/chunk.bench.ts
 * Environment: BENCH_CHUNK_ORDERS (300000), BENCH_CHUNK_SIZE (2000: PROCESSOR_MAX_BATCH),
 * BENCH_CHUNK_PARTITIONS (6).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { GCProfiler } from 'node:v8';
import type cassandra from 'cassandra-driver';
import type { KafkaMessage } from 'kafkajs';
import type mysql from 'mysql2/promise';
import { Registry } from 'prom-client';
import { createLogger, processorNodeOptions, topicsOf } from '@salespipeline/shared';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { patchCassandraFrameWriter } from '../apps/processor/src/cassandra-frame-writer.js';
import { CassandraSink } from '../apps/processor/src/cassandra-sink.js';
import { ChunkApplier } from '../apps/processor/src/chunk-applier.js';
import { processorMetrics } from '../apps/processor/src/metrics.js';
import { MysqlSink } from '../apps/processor/src/mysql-sink.js';
import { env } from './common.js';
import { writeResult } from './results.js';

const flags = processorNodeOptions.split(' ');
if (!flags.every((f) => process.execArgv.includes(f))) {
  // V8's heap sizes are fixed at start: run again with the processor's flags.
  const child = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const orders = env('BENCH_CHUNK_ORDERS', 300_000);
const chunkSize = env('BENCH_CHUNK_SIZE', 2000);
const partitions = env('BENCH_CHUNK_PARTITIONS', 6);

const require = createRequire(import.meta.url);
type Encodable = { write(encoder: unknown, streamId: number): Buffer };
const { BatchRequest, ExecuteRequest } = require('cassandra-driver/lib/requests.js') as {
  BatchRequest: new (queries: unknown[], options: unknown) => Encodable;
  ExecuteRequest: new (query: string, id: Buffer, params: unknown, options: unknown, meta: unknown) => Encodable;
};
const { ExecutionOptions } = require('cassandra-driver/lib/execution-options.js') as {
  ExecutionOptions: { empty(): object };
};
const Encoder = require('cassandra-driver/lib/encoder.js') as new (version: number, options: object) => unknown;
const { dataTypes } = (require('cassandra-driver') as typeof cassandra).types;

const answered = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A pool whose one connection answers every statement at once, keeping each partition's stored offset. */
function fakeMysql(): mysql.Pool {
  const stored = new Map<string, string>();
  const result = (sql: string) => {
    const partition = /kafka_partition = (\d+)/.exec(sql)?.[1] ?? '';
    const next = /SET next_offset = (\d+)/.exec(sql)?.[1];
    if (next !== undefined) stored.set(partition, next);
    return sql.includes('FOR UPDATE')
      ? [{ next_offset: stored.get(partition) ?? '0', last_fingerprint: null, resets: 0 }]
      : { affectedRows: 1 };
  };
  const connection = {
    connection: {},
    query: async ({ sql }: { sql: string }) => {
      await answered();
      const statements = sql.split(';\n');
      return [statements.length === 1 ? result(sql) : statements.map(result)];
    },
    release: () => undefined,
    destroy: () => undefined,
  };
  return {
    pool: { config: { connectionConfig: { multipleStatements: true } } },
    getConnection: async () => connection,
  } as unknown as mysql.Pool;
}

/** A one-node client that encodes each request as the driver would send it (protocol v4). */
function fakeCassandra(): cassandra.Client {
  const column = (code: number) => ({ type: { code, info: null } });
  const { text, blob, timestamp, int, bigint, date, decimal } = dataTypes;
  const byId = { columns: [text, blob, timestamp, int, bigint].map(column) };
  const byHour = { columns: [date, int, timestamp, text, text, text, text, text, decimal, int].map(column) };
  const metaOf = (query: string) => (query.includes('orders_by_id') ? byId : byHour);
  const options = ExecutionOptions.empty();
  const encoder = new Encoder(4, {});
  const queryId = Buffer.alloc(16, 1);
  return {
    hosts: { length: 1 },
    execute: async (query: string, params: unknown) => {
      await answered();
      new ExecuteRequest(query, queryId, params, options, metaOf(query)).write(encoder, 1);
    },
    batch: async (queries: Array<{ query: string; params: unknown }>) => {
      await answered();
      const prepared = queries.map(({ query, params }) => ({ query, params, queryId, meta: metaOf(query) }));
      new BatchRequest(prepared, options).write(encoder, 1);
    },
  } as unknown as cassandra.Client;
}

patchCassandraFrameWriter();
const applier = new ChunkApplier({
  topics: topicsOf('orders'),
  mysqlSink: new MysqlSink(fakeMysql(), 15_000),
  cassandraSink: new CassandraSink(fakeCassandra(), 'bench', { concurrency: 16, hourBatchRows: 50, idBatchRows: 20 }),
  producer: { sendBatch: async () => [] } as never,
  metrics: processorMetrics(new Registry()),
  logger: createLogger('bench', 'warn'),
  lateBoundMs: 86_400_000,
  logEnd: async () => 0n,
  seek: () => undefined,
});

const generator = new OrderGenerator(5, 'chunk-');
let nextOffset = 0;
/** One fetch: a chunk per partition, each message as kafkajs gives it. */
function fetched(): KafkaMessage[][] {
  const timestamp = String(Date.now());
  const offset = nextOffset;
  nextOffset += chunkSize;
  return Array.from({ length: partitions }, () =>
    Array.from({ length: chunkSize }, (_, i) => {
      const order = generator.next();
      return {
        key: Buffer.from(order.order_id),
        value: Buffer.from(JSON.stringify(order)),
        timestamp,
        attributes: 0,
        offset: String(offset + i),
        headers: {},
      };
    }),
  );
}

/** Applies `count` orders' worth of fetches; CPU of the applying only (not of making the messages). */
async function apply(count: number): Promise<number> {
  let cpu = 0;
  for (let done = 0; done < count; done += chunkSize * partitions) {
    const fetch = fetched();
    const before = process.cpuUsage();
    await Promise.all(
      fetch.map((messages, partition) =>
        applier.apply({ partition, messages, highWatermark: String(nextOffset), refused: new Map() }),
      ),
    );
    const used = process.cpuUsage(before);
    cpu += (used.user + used.system) / 1e6;
  }
  return cpu;
}

await apply(60_000); // JIT warm-up
const profiler = new GCProfiler();
profiler.start();
const cpu = await apply(orders);
const collections = profiler.stop().statistics;

const used = (stats: (typeof collections)[number]['afterGC'], space: string) =>
  stats.heapSpaceStatistics.find((s) => s.spaceName === space)?.spaceUsedSize ?? 0;
const scavenges = collections.filter((c) => c.gcType === 'Scavenge');
// What a scavenge keeps: the survivors it copies within the young generation and those it promotes.
const survived = scavenges.reduce(
  (sum, c) => sum + used(c.afterGC, 'new_space') + used(c.afterGC, 'old_space') - used(c.beforeGC, 'old_space'),
  0,
);
const per1000 = (x: number) => (x / orders) * 1000;
writeResult(
  'chunk',
  { orders, chunkSize, partitions, nodeOptions: processorNodeOptions },
  {
    cpu_per_1000: { value: per1000(cpu), unit: 'CPU s / 1000 orders (decode to commit, sinks answering at once)' },
    gc_per_1000: {
      value: per1000(collections.reduce((s, c) => s + c.cost, 0) / 1e6),
      unit: 's of garbage collection pauses / 1000 orders',
    },
    scavenges_per_1000: { value: per1000(scavenges.length), unit: 'young-generation collections / 1000 orders' },
    survived_per_order: {
      value: survived / orders / 1024,
      unit: 'KiB kept by scavenges (copied or promoted) per order',
    },
  },
);
