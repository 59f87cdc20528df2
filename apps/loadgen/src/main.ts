#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  closeServer,
  configHelp,
  type ConfigOf,
  createLogger,
  createRegistry,
  loadConfig,
  type Logger,
  onShutdown,
  runMain,
  startOpsServer,
} from '@salespipeline/shared';
import { loadgenSpec } from './config.js';
import { readCsvOrders, type CsvStats } from './csv.js';
import { OrderGenerator } from './generate.js';
import { runLoad, type LoadOptions, type LoadReport } from './sender.js';

type Config = ConfigOf<typeof loadgenSpec>;

async function main(): Promise<void> {
  const config = loadConfig(loadgenSpec);
  const logger = createLogger('loadgen');
  const registry = createRegistry('loadgen');
  const ops = await startOpsServer({ registry, logger, checks: [], port: config.opsPort, host: config.opsHost });

  const idPrefix = config.idPrefix ?? `lg${Date.now().toString(36)}${randomBytes(2).toString('hex')}-`;
  const stats: CsvStats = { rows: 0, skippedRows: 0, orders: 0 };
  const abort = new AbortController();
  onShutdown(logger, [async () => abort.abort(), () => closeServer(ops)]);
  logger.info(
    { target: config.target, rate: config.rate, batchSize: config.batchSize, csv: config.csv ?? null, idPrefix },
    'load generator starting',
  );
  const result = await runLoad({
    target: config.target,
    rate: config.rate,
    durationSeconds: config.durationSeconds,
    batchSize: config.batchSize,
    concurrency: config.concurrency,
    apiKey: config.apiKey,
    source: orderSource(config, idPrefix, stats),
    onReport: progressReporter(registry, logger),
    reportIntervalMs: config.reportIntervalMs,
    signal: abort.signal,
  });
  logger.info({ ...result.totals, seconds: result.elapsedSeconds, csv: config.csv ? stats : undefined }, 'done');
  await closeServer(ops);
}

/** The replayed CSV's orders (counted in stats) or, without a CSV, generated ones. */
function orderSource(config: Config, idPrefix: string, stats: CsvStats): LoadOptions['source'] {
  if (config.csv) {
    const it = readCsvOrders(config.csv, { retime: config.retime, idPrefix, stats });
    return async () => (await it.next()).value ?? undefined;
  }
  const generator = new OrderGenerator(config.seed, idPrefix);
  return () => generator.next();
}

/** Each report as metrics (orders by result, latency quantiles) and a progress log line. */
function progressReporter(registry: Registry, logger: Logger): (r: LoadReport) => void {
  const orders = new Counter({
    name: 'loadgen_orders_total',
    help: 'Orders sent, by result',
    labelNames: ['result'],
    registers: [registry],
  });
  const p99 = new Gauge({
    name: 'loadgen_latency_p99_seconds',
    help: 'p99 latency, last interval',
    registers: [registry],
  });
  const p50 = new Gauge({
    name: 'loadgen_latency_p50_seconds',
    help: 'p50 latency, last interval',
    registers: [registry],
  });
  let previous = { accepted: 0, rejected: 0, unavailable: 0, failed: 0 };
  return (r) => {
    orders.inc({ result: 'accepted' }, r.accepted - previous.accepted);
    orders.inc({ result: 'rejected' }, r.rejected - previous.rejected);
    orders.inc({ result: 'unavailable' }, r.unavailable - previous.unavailable);
    orders.inc({ result: 'failed' }, r.failed - previous.failed);
    previous = r;
    p50.set(r.p50Ms / 1000);
    p99.set(r.p99Ms / 1000);
    logger.info(
      {
        t: Math.round(r.elapsedSeconds),
        accepted: r.accepted,
        rejected: r.rejected,
        unavailable: r.unavailable,
        failed: r.failed,
        behind: r.behind,
        acceptedPerSecond: Math.round(r.acceptedPerSecond),
        p50Ms: Number(r.p50Ms.toFixed(1)),
        p99Ms: Number(r.p99Ms.toFixed(1)),
      },
      'progress',
    );
  };
}

runMain(
  main,
  `salespipeline-loadgen: sends synthetic (or replayed CSV) orders to the ingest API.\n\n${configHelp(loadgenSpec)}`,
);
