/**
 * The load generator alone: its CPU per 1,000 orders, sending synthetic orders as the pipeline
 * benchmark does (batches, 16 requests in flight) to a trivial HTTP server in a child process that
 * answers every request 202, so only the generator's own work is metered (this process). Each rate
 * runs BENCH_LOADGEN_WARMUP seconds unmetered, then BENCH_LOADGEN_SECONDS metered. Needs no service.
 *   npx tsx bench/loadgen.bench.ts
 * Environment: BENCH_LOADGEN_RATES (10000,2000), BENCH_LOADGEN_SECONDS (30), BENCH_LOADGEN_WARMUP (10),
 * BENCH_LOADGEN_BATCH (100 orders per request).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { OrderGenerator } from '../apps/loadgen/src/generate.js';
import { runLoad } from '../apps/loadgen/src/sender.js';
import { env } from './common.js';
import { writeResult, type Figure } from './results.js';

const rates = (process.env.BENCH_LOADGEN_RATES ?? '10000,2000').split(',').map(Number);
const seconds = env('BENCH_LOADGEN_SECONDS', 30);
const warmupSeconds = env('BENCH_LOADGEN_WARMUP', 10);
const batchSize = env('BENCH_LOADGEN_BATCH', 100);

const acceptAll = `
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
const server = spawn(process.execPath, ['-e', acceptAll], { stdio: ['ignore', 'pipe', 'inherit'] });
const [portLine] = (await once(server.stdout, 'data')) as [Buffer];
const target = `http://127.0.0.1:${portLine.toString().trim()}`;

const generator = new OrderGenerator(42, `lgbench-`);
const load = (rate: number, durationSeconds: number) =>
  runLoad({ target, rate, durationSeconds, batchSize, concurrency: 16, source: () => generator.next() });

const figures: Record<string, Figure> = {};
try {
  for (const rate of rates) {
    if (warmupSeconds > 0) await load(rate, warmupSeconds);
    const before = process.cpuUsage();
    const result = await load(rate, seconds);
    const used = process.cpuUsage(before);
    const cpu = (used.user + used.system) / 1e6;
    figures[`cpu_per_1000_at_${rate}`] = {
      value: (cpu / Math.max(1, result.totals.sent)) * 1000,
      unit: 'CPU s / 1000 orders',
    };
    figures[`behind_at_${rate}`] = { value: result.totals.behind, unit: 'orders not sent in time' };
    figures[`not_accepted_at_${rate}`] = { value: result.totals.sent - result.totals.accepted, unit: 'orders' };
  }
  figures.load_average = { value: loadavg()[0]!, unit: 'of the machine, at the end (other work beside it)' };
} finally {
  server.kill();
}
writeResult('loadgen', { rates, seconds, warmupSeconds, batchSize, concurrency: 16 }, figures);
