/** Helpers of the benchmarks: child processes of the apps, CPU seconds per process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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
    await new Promise((r) => setTimeout(r, 250));
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
