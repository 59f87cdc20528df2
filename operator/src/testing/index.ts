/**
 * The operator's test kit (@salespipeline/operator/testing): helpers for tests and benchmarks against the
 * real kube-apiserver (scripts/infra/kube.sh), in the operator's own tests and in other packages'.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { createLogger } from '@salespipeline/shared';
import { testKubeconfigPath, uniqueName, waitFor } from '@salespipeline/shared/testing';
import { apiVersion, plural, type SalesPipelineSpecInput } from '@salespipeline/cdk8s';
import { loadOperatorConfig } from '../config.js';
import { loadKubeConfig } from '../kube/config.js';
import { collectionPath, isNotFound, KubeRest, objectPath } from '../kube/rest.js';
import { startOperator, type Operator } from '../operator.js';

/** The repository (operator/src/testing or operator/dist/testing, three levels down). */
const repo = join(import.meta.dirname, '..', '..', '..');

export function testRest(): KubeRest {
  return new KubeRest(loadKubeConfig(testKubeconfigPath()));
}

interface Crd {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Installs (server-side apply, idempotent) our CRD and the third-party ones, and waits until Established. */
export async function installCrds(rest: KubeRest): Promise<void> {
  const files = [
    join(repo, 'crds', 'salespipeline.io_salespipelines.yaml'),
    ...readdirSync(join(repo, 'crds', 'third-party'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(repo, 'crds', 'third-party', f)),
  ];
  for (const file of files) {
    for (const doc of yaml.loadAll(readFileSync(file, 'utf8')) as Crd[]) {
      if (!doc) continue;
      await rest.request(
        'PATCH',
        objectPath('apiextensions.k8s.io/v1', 'customresourcedefinitions', '', doc.metadata.name),
        {
          body: doc,
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: 'salespipeline-tests', force: true },
        },
      );
      await waitFor(
        async () => {
          const crd = await rest.request<Crd>(
            'GET',
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${doc.metadata.name}`,
          );
          return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        },
        { what: `CRD ${doc.metadata.name} established` },
      );
    }
  }
}

export async function createNamespace(rest: KubeRest, prefix: string): Promise<string> {
  const name = uniqueName(prefix).replace(/_/g, '-');
  await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
  return name;
}

/** A test file's start: our CRDs and the third-party ones installed, and a namespace of its own. */
export async function setUpNamespace(prefix: string): Promise<{ rest: KubeRest; ns: string }> {
  const rest = testRest();
  await installCrds(rest);
  return { rest, ns: await createNamespace(rest, prefix) };
}

/** A test file's end: its operators stopped (those started), then its namespace deleted. */
export async function tearDownNamespace(
  rest: KubeRest,
  ns: string,
  operators: Array<Operator | undefined>,
): Promise<void> {
  await Promise.all(operators.map((o) => o?.stop()));
  await deleteNamespace(rest, ns);
}

/** Deletes a test namespace; SalesPipelines left behind lose their finalizer first (no operator runs then). */
export async function deleteNamespace(rest: KubeRest, name: string): Promise<void> {
  const left = await rest
    .request<{ items: Array<{ metadata: { name: string } }> }>('GET', spPath(name))
    .catch(() => ({ items: [] }));
  for (const sp of left.items) {
    await mergePatch(rest, spPath(name, sp.metadata.name), { metadata: { finalizers: null } }).catch(() => undefined);
  }
  await rest.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => undefined);
}

export const quietLogger = () => createLogger('operator-test', process.env.TEST_LOG_LEVEL ?? 'warn');

export function testOperator(
  namespace: string,
  env: Record<string, string> = {},
  opts: Parameters<typeof startOperator>[2] = {},
): Operator {
  const config = loadOperatorConfig({
    KUBECONFIG: testKubeconfigPath(),
    WATCH_NAMESPACE: namespace,
    LEADER_ELECTION: 'false',
    LEADER_ELECTION_NAMESPACE: namespace,
    RESYNC_SECONDS: '5',
    WATCH_SILENCE_SECONDS: '30',
    ...env,
  });
  return startOperator(config, quietLogger(), opts);
}

/**
 * Leader election with short timings, for tests that change leaders (a busy machine may still miss a
 * renew deadline now and then: leadership is then lost and taken again, which the tests tolerate).
 */
export const fastLeaderElectionEnv = {
  LEADER_ELECTION: 'true',
  LEASE_DURATION_SECONDS: '6',
  RENEW_DEADLINE_SECONDS: '4',
  RETRY_PERIOD_SECONDS: '0.5',
};

/** Reconciles an operator finished (any result). */
export const reconcileCount = async (op: Operator) =>
  (await op.registry.getSingleMetric('controller_reconcile_total')!.get()).values.reduce((n, v) => n + v.value, 0);

export const spPath = (ns: string, name?: string) =>
  name ? objectPath(apiVersion, plural, ns, name) : collectionPath(apiVersion, plural, ns);

export async function createSp(
  rest: KubeRest,
  ns: string,
  name: string,
  spec: SalesPipelineSpecInput = {},
  annotations?: Record<string, string>,
) {
  return rest.request<{ metadata: { uid: string } }>('POST', spPath(ns), {
    body: {
      apiVersion,
      kind: 'SalesPipeline',
      metadata: { name, namespace: ns, ...(annotations && { annotations }) },
      spec,
    },
  });
}

/** A SalesPipeline whose processor scales 1–6 on the lag of its consumer group on the topic (no dashboard). */
export function lagScaledSpec(opts: {
  topic: string;
  group: string;
  lagThreshold: number;
  pollingSeconds: number;
  /** periodSeconds: the least time between two steps down (default 1). */
  scaleDown: { stabilizationSeconds: number; step: number; periodSeconds?: number };
}): SalesPipelineSpecInput {
  return {
    dashboard: { enabled: false },
    kafka: { topics: { name: opts.topic } },
    processor: {
      minReplicas: 1,
      maxReplicas: 6,
      lagThreshold: opts.lagThreshold,
      autoscaling: {
        consumerGroup: opts.group,
        pollingSeconds: opts.pollingSeconds,
        scaleDown: { periodSeconds: 1, ...opts.scaleDown },
      },
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function get<T = any>(rest: KubeRest, path: string): Promise<T | undefined> {
  try {
    return await rest.request<T>('GET', path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function mergePatch(rest: KubeRest, path: string, body: unknown) {
  return rest.request('PATCH', path, { body, contentType: 'application/merge-patch+json' });
}

export { waitFor };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs a command to completion, capturing its output. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A command may exit without reading all its input (EPIPE): its exit code tells what happened.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(opts.input);
  });
}
/** Runs a command; its stdout, or an error with its output when it exits non-zero. */
export async function ok(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
