/**
 * The benchmark results convention: every benchmark writes bench/results/<benchmark>.json as
 * {benchmark, date, machine: {cpus, memory}, config, figures: {<name>: {value, unit}}} and prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Figure {
  value: number;
  unit: string;
  /** What the figure is measured against, e.g. "target ≥ 10000". */
  target?: string;
}

export interface BenchResult {
  benchmark: string;
  date: string;
  machine: { cpus: number; cpuModel: string; memory: string; node: string };
  config: Record<string, unknown>;
  figures: Record<string, Figure>;
}

const resultsDir = new URL('./results/', import.meta.url).pathname;

export function writeResult(
  benchmark: string,
  config: Record<string, unknown>,
  figures: Record<string, Figure>,
): BenchResult {
  const result: BenchResult = {
    benchmark,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
    },
    config,
    figures,
  };
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${benchmark}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  printTable(result);
  process.stdout.write(`written to ${file}\n`);
  return result;
}

function printTable(result: BenchResult): void {
  const rows = Object.entries(result.figures).map(([name, f]) => [name, formatValue(f.value), f.unit, f.target ?? '']);
  const header = ['figure', 'value', 'unit', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`\n${result.benchmark} (${result.machine.cpus} CPUs, ${result.machine.memory})\n`);
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

const formatValue = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : 1));

/** The q-quantile (0..1) of a list of numbers, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
