/** Helpers of the benchmarks: child processes of the apps, CPU seconds per process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import type mysql from 'mysql2/promise';
import { topicsOf } from '@salespipeline/shared';

export const repo = new URL('../', import.meta.url).pathname;

export { freePort } from '@salespipeline/shared/testing';

export function startApp(
  app: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, `${repo}apps/${app}/dist/main.js`, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The live descendants of a process (e.g. the workers of a node:cluster primary). */
export function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(
        readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
      );
    }
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** CPU seconds of a process and its live descendants, summed (an ingest with its workers). */
export const treeCpuSeconds = (pid: number): number =>
  [pid, ...descendants(pid)].reduce((sum, p) => sum + (cpuSeconds(p) || 0), 0);

/** Node flags for an app under benchmark, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
export const benchNodeArgs = (): string[] => (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Pids of the local services (scripts/infra pid files). */
export function servicePids(): Record<string, number> {
  const state = process.env.SALESPIPELINE_STATE ?? `${repo}.local`;
  const out: Record<string, number> = {};
  for (const name of ['kafka', 'cassandra', 'mariadb']) {
    try {
      out[name] = Number(readFileSync(`${state}/${name}/${name}.pid`, 'utf8').trim());
    } catch {
      // not running here
    }
  }
  return out;
}

export const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/**
 * Rows of a Cassandra table, counted in slices of the token ring: one COUNT(*) over a table of a
 * few hundred thousand rows outlasts the server's range read timeout on a busy machine.
 */
export async function countRows(client: cassandra.Client, table: string, partitionKey: string): Promise<number> {
  const slices = 64n;
  const min = -(2n ** 63n);
  const step = 2n ** 64n / slices;
  let n = 0;
  for (let i = 0n; i < slices; i++) {
    const from = min + i * step;
    const to = i === slices - 1n ? 2n ** 63n - 1n : from + step;
    const rs = await client.execute(
      `SELECT COUNT(*) AS n FROM ${table} WHERE token(${partitionKey}) ${i === 0n ? '>=' : '>'} ? AND token(${partitionKey}) <= ?`,
      [cassandra.types.Long.fromString(from.toString()), cassandra.types.Long.fromString(to.toString())],
      { prepare: true, readTimeout: 120_000 },
    );
    n += Number(rs.first().get('n'));
  }
  return n;
}

/** Drops what a benchmark created (its database, keyspace and topics) and closes those clients. */
export async function dropBenchStores(s: {
  pool: mysql.Pool;
  database: string;
  cassandra: cassandra.Client;
  keyspace: string;
  kafkaAdmin: Admin;
  topic: string;
}): Promise<void> {
  await s.pool.query(`DROP DATABASE ${s.database}`);
  await s.pool.end();
  await s.cassandra.execute(`DROP KEYSPACE IF EXISTS ${s.keyspace}`);
  await s.cassandra.shutdown();
  await s.kafkaAdmin.deleteTopics({ topics: Object.values(topicsOf(s.topic)) });
  await s.kafkaAdmin.disconnect();
}
