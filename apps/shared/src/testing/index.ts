/** Helpers for the project's integration tests (real services, no mocks). */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config.js';
import { cassandraSettings, kafkaSettings, mysqlSettings } from '../infra.js';

/** A name unique to this test run, safe for topics, keyspaces, databases and Kubernetes objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
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
export * from './wait.js';
export * from './readback.js';
export * from './produce.js';
