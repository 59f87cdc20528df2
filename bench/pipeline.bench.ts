/**
 * End to end: load generator (in this process) → ingest API → Kafka → processor → Cassandra + MySQL,
 * every service on this machine. Sends BENCH_PIPELINE_RATE orders/s in batches for
 * BENCH_PIPELINE_SECONDS (after BENCH_PIPELINE_WARMUP seconds of the same load, whose CPU is not
 * metered), waits for the processor to drain, then checks exactness (accepted = in Kafka = processed =
 * in Cassandra = counted, over every order) and reports throughput, freshness and CPU per process.
 *   npx tsx bench/pipeline.bench.ts
 * Environment: BENCH_PIPELINE_SECONDS (120), BENCH_PIPELINE_WARMUP (20), BENCH_PIPELINE_RATE (10500:
 * above the 10,000/s goal, which the end-to-end figure, never above the offered rate, could not show otherwise), BENCH_PIPELINE_BATCH (100
 * orders per request), BENCH_PIPELINE_PARTITIONS (6), BENCH_PIPELINE_PROCESSORS (1),
 * BENCH_PIPELINE_CPU_PROF=<dir> (each processor writes a V8 CPU profile there: node --cpu-prof).
 * The cost curve over rates and processor counts: bench/cost-curve.bench.ts.
 */
import { writeResult, type Figure } from './results.js';
import { env } from './common.js';
import { cpuPer1000, runSteady, warmupSeconds } from './pipeline-run.js';

const seconds = env('BENCH_PIPELINE_SECONDS', 120);
const rate = env('BENCH_PIPELINE_RATE', 10_500);
const batchSize = env('BENCH_PIPELINE_BATCH', 100);
const partitions = env('BENCH_PIPELINE_PARTITIONS', 6);
const processors = env('BENCH_PIPELINE_PROCESSORS', 1);

const run = await runSteady({ rate, seconds, batchSize, partitions, processors });
const figures: Record<string, Figure> = {
  offered_rate: { value: rate, unit: 'orders/s' },
  accepted_orders: { value: run.accepted, unit: 'orders' },
  ingest_accepted_per_s: { value: Math.round(run.accepted / run.load.elapsedSeconds), unit: 'orders/s' },
  end_to_end_per_s: {
    value: run.endToEndPerSecond,
    unit: 'orders/s (first accept → last commit)',
    target: '≥ 10000',
  },
  exact: { value: run.exact ? 1 : 0, unit: '1 = accepted = in Kafka = processed = in Cassandra = counted' },
  freshness_p50: { value: run.freshnessP50, unit: 'ms' },
  freshness_p99: { value: run.freshnessP99, unit: 'ms', target: '≤ 1000' },
  drain_after_load: { value: run.drainSeconds, unit: 's' },
  behind: { value: run.load.totals.behind, unit: 'orders the load generator could not send in time' },
  unavailable: { value: run.load.totals.unavailable, unit: 'orders answered 503' },
};
for (const [name, value] of Object.entries(cpuPer1000(run))) {
  figures[`cpu_${name}_per_1000`] = { value, unit: 'CPU s / 1000 orders' };
}
process.stdout.write(
  `CPU seconds: ${JSON.stringify(Object.fromEntries(Object.entries(run.cpu).map(([k, v]) => [k, Number(v.toFixed(1))])))}\n`,
);
writeResult(
  'pipeline',
  { seconds, warmupSeconds, rate, batchSize, partitions, processors, services: 'all on this machine' },
  figures,
);
process.exit(run.exact ? 0 : 1);
