/** Helpers of the benchmarks: child processes of the apps, CPU seconds per process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const repo = new URL('../', import.meta.url).pathname;

export { freePort } from '@salespipeline/shared/testing';

export function startApp(app: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [`${repo}apps/${app}/dist/main.js`, ...args], {
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
