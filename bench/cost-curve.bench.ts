/**
 * The cost curve of the whole pipeline on this machine (every service on it): CPU seconds per 1,000
 * orders, per process and summed, and the freshness p99 at 1,000 and 5,000 orders/s and at the
 * highest rate sustained; then how the processor scales from 1 to 3 instances on 6 partitions,
 * draining a backlog. Writes bench/results/cost-curve.json and the chart bench/results/cost-curve.png.
 *   npx tsx bench/cost-curve.bench.ts
 * Environment:
 *   BENCH_CURVE_SECONDS     seconds of metered load per rate (60), after BENCH_PIPELINE_WARMUP (20) unmetered
 *   BENCH_CURVE_RATES       the fixed rates, orders/s (1000,5000)
 *   BENCH_CURVE_MAX_RATES   rates tried in turn for the highest sustained, until one is not (10000,12500,15000,17500,20000)
 *   BENCH_CURVE_BACKLOG     orders of the backlog the processors drain (200000)
 *   BENCH_CURVE_PROCESSORS  processor counts of the backlog runs (1,2,3)
 *   BENCH_PIPELINE_BATCH (100 orders per request), BENCH_PIPELINE_PARTITIONS (6)
 * A rate is sustained when the run is exact, the load generator never fell behind, nothing was answered
 * 503 and the processor committed the last order within 10 s of the load's end.
 */
import { writeResult, type Figure } from './results.js';
import { env } from './common.js';
import { chartSvg, writePng } from './chart.js';
import { cpuPer1000, runBacklog, runSteady, warmupSeconds, type PipelineRun } from './pipeline-run.js';

const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map(Number);
const seconds = env('BENCH_CURVE_SECONDS', 60);
const rates = list('BENCH_CURVE_RATES', '1000,5000');
const maxRates = list('BENCH_CURVE_MAX_RATES', '10000,12500,15000,17500,20000');
const backlog = env('BENCH_CURVE_BACKLOG', 200_000);
const processorCounts = list('BENCH_CURVE_PROCESSORS', '1,2,3');
const batchSize = env('BENCH_PIPELINE_BATCH', 100);
const partitions = env('BENCH_PIPELINE_PARTITIONS', 6);
const maxDrainSeconds = 10;

const sustained = (run: PipelineRun) =>
  run.exact && run.load.totals.behind === 0 && run.load.totals.unavailable === 0 && run.drainSeconds <= maxDrainSeconds;

const figures: Record<string, Figure> = {};
const points: Array<{ label: string; rate: number; run: PipelineRun }> = [];
let allExact = true;

async function steady(rate: number): Promise<PipelineRun> {
  process.stdout.write(`${rate} orders/s for ${seconds} s\n`);
  const run = await runSteady({ rate, seconds, batchSize, partitions, processors: 1 });
  allExact &&= run.exact;
  process.stdout.write(
    `  → ${run.endToEndPerSecond}/s end to end, p99 ${run.freshnessP99} ms, drained ${run.drainSeconds.toFixed(1)} s after the load, ${sustained(run) ? 'sustained' : 'NOT sustained'}\n`,
  );
  return run;
}

function record(prefix: string, run: PipelineRun) {
  figures[`${prefix}_end_to_end_per_s`] = { value: run.endToEndPerSecond, unit: 'orders/s' };
  figures[`${prefix}_freshness_p99`] = { value: run.freshnessP99, unit: 'ms' };
  figures[`${prefix}_exact`] = {
    value: run.exact ? 1 : 0,
    unit: '1 = accepted = in Kafka = processed = stored = counted',
  };
  for (const [name, value] of Object.entries(cpuPer1000(run)))
    figures[`${prefix}_cpu_${name}_per_1000`] = { value, unit: 'CPU s / 1000 orders' };
}

for (const rate of rates) {
  const run = await steady(rate);
  record(`rate_${rate}`, run);
  points.push({ label: `${rate}/s`, rate, run });
}
let best: { rate: number; run: PipelineRun } | undefined;
for (const rate of maxRates) {
  const run = await steady(rate);
  if (!sustained(run)) break;
  best = { rate, run };
}
figures.max_sustained_rate = { value: best?.rate ?? 0, unit: 'orders/s offered (0: none of BENCH_CURVE_MAX_RATES)' };
if (best) {
  record('max', best.run);
  points.push({ label: `max ${best.rate}/s`, rate: best.rate, run: best.run });
}

const drains: Array<{ processors: number; run: PipelineRun & { backlogPerSecond: number } }> = [];
for (const processors of processorCounts) {
  process.stdout.write(`backlog of ${backlog} orders, ${processors} processor(s)\n`);
  const run = await runBacklog({ orders: backlog, rate: 20_000, batchSize, partitions, processors });
  allExact &&= run.exact;
  process.stdout.write(
    `  → ${run.backlogPerSecond}/s, ${cpuPer1000(run).processor!.toFixed(3)} processor CPU s / 1000\n`,
  );
  drains.push({ processors, run });
  figures[`backlog_${processors}_processors_per_s`] = { value: run.backlogPerSecond, unit: 'orders/s drained' };
  figures[`backlog_${processors}_processors_exact`] = { value: run.exact ? 1 : 0, unit: '1 = exact' };
  for (const [name, value] of Object.entries(cpuPer1000(run)))
    figures[`backlog_${processors}_processors_cpu_${name}_per_1000`] = { value, unit: 'CPU s / 1000 orders' };
}

const processes = [...new Set(points.flatMap((p) => Object.keys(p.run.cpu)))];
const drainProcesses = [...new Set(drains.flatMap((d) => Object.keys(d.run.cpu)))];
const svg = chartSvg(
  [
    {
      title: 'CPU per 1,000 orders by offered rate',
      yLabel: 'CPU seconds / 1,000 orders',
      series: processes,
      groups: points.map((p) => ({
        label: p.label,
        values: processes.map((name) => cpuPer1000(p.run)[name] ?? 0),
        note: `p99 freshness ${(p.run.freshnessP99 / 1000).toFixed(2)} s`,
      })),
    },
    {
      title: `Backlog drain by processors (${partitions} partitions)`,
      yLabel: 'orders / s',
      series: ['processors'],
      groups: drains.map((d) => ({
        label: `${d.processors} processor${d.processors > 1 ? 's' : ''}`,
        values: [d.run.backlogPerSecond],
        note: `${cpuPer1000(d.run).all!.toFixed(3)} CPU s / 1,000`,
      })),
    },
    {
      title: 'CPU per 1,000 orders while draining',
      yLabel: 'CPU seconds / 1,000 orders',
      series: drainProcesses,
      groups: drains.map((d) => ({
        label: `${d.processors} processor${d.processors > 1 ? 's' : ''}`,
        values: drainProcesses.map((name) => cpuPer1000(d.run)[name] ?? 0),
      })),
    },
  ],
  `bench/cost-curve.bench.ts, ${new Date().toISOString().slice(0, 10)}: every service on one machine, ${seconds} s per rate, backlog ${backlog} orders`,
);
const png = new URL('./results/cost-curve.png', import.meta.url).pathname;
await writePng(svg, png);
writeResult(
  'cost-curve',
  {
    seconds,
    warmupSeconds,
    rates,
    maxRates,
    backlog,
    processorCounts,
    batchSize,
    partitions,
    services: 'all on this machine',
    chart: 'bench/results/cost-curve.png',
  },
  figures,
);
process.stdout.write(`chart written to ${png}\n`);
process.exit(allExact ? 0 : 1);
