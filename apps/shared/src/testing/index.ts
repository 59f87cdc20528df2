/** Helpers for the project's integration tests (real services, no mocks). */
import { randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { loadConfig } from '../config.js';
import { cassandraSettings, kafkaSettings, mysqlSettings } from '../infra.js';

/** A name unique to this test run, safe for topics, keyspaces, databases and Kubernetes objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
}

/** Polls `probe` until it returns something other than undefined or false, and returns that. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {},
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (err) {
      lastError = err;
    }
    await setTimeout(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** The services the tests talk to: the local ones by default, or whatever the environment names. */
export function testInfra() {
  return loadConfig({ ...kafkaSettings, ...cassandraSettings, ...mysqlSettings });
}

const repoRoot = new URL('../../../../', import.meta.url).pathname;

/** The local state folder of scripts/infra (SALESPIPELINE_STATE overrides it, as there). */
export const localStateDir = process.env.SALESPIPELINE_STATE ?? `${repoRoot}.local`;

/** The kubeconfig of the test apiserver: $KUBECONFIG, or the one scripts/infra/kube.sh writes. */
export function testKubeconfigPath(): string {
  return process.env.KUBECONFIG ?? `${localStateDir}/kube/kubeconfig`;
}

export function testPrometheusUrl(): string {
  return process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:19090';
}
export * from './orders.js';
export * from './tcp-proxy.js';
export * from './kafka-faults.js';
export * from './openapi.js';
export * from './ports.js';
