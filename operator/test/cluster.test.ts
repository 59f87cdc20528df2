/**
 * End to end on a REAL node (scripts/infra/node.sh: containerd, kubelet, kube-proxy, CoreDNS in a
 * network namespace): the images built here (scripts/images.sh), the operator installed with
 * `helm install`, a SalesPipeline applied as a user would, with Kafka and Cassandra external (the
 * project's own services, bridged into the node's namespace) and MySQL managed (a StatefulSet of the
 * MariaDB image built here, its claim bound to a local volume). Every pod really runs, under Pod
 * Security `restricted`. Orders go through the ingest Service and must come out exactly once, also
 * while the autoscaler adds processors and one is killed mid-stream; `helm uninstall` tears it down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { orderArbitrary, testInfra, uniqueName } from '@salespipeline/shared/testing';
import type { AcceptedOrder } from '@salespipeline/shared';
import { ingestApiKeys, mysqlUrlKeys, names, type SalesPipelineSpecInput } from '@salespipeline/cdk8s';
import {
  expectedAggregates,
  mapDiff,
  normalise,
  produceOrders,
  readAggregates,
  readRawOrders,
} from '../../apps/processor/test/helpers.js';
import { deleteNamespace, get, installCrds, ok, run, spPath, testRest, waitFor } from './support.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
// Building the images and starting the node the first time takes minutes; nothing here is timed.
jest.setTimeout(60 * 60_000);

const repo = join(import.meta.dirname, '..', '..');
const script = (path: string) => join(repo, 'scripts', path);
const artifacts = join(repo, 'test-artifacts', 'cluster');
const infra = testInfra();
const rest = testRest();

let kubectl: string;
let helm: string;
const kube = (...args: string[]) => ok(kubectl, args);

/** `kubectl port-forward` to a Service: the local port, and a stop function. */
async function portForward(ns: string, service: string, port: number): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn(
    kubectl,
    ['port-forward', '-n', ns, `svc/${service}`, `:${port}`, '--address', '127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const local = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`port-forward to ${service} exited ${code}: ${stderr}`)));
  });
  return { port: local, stop: () => child.kill('SIGTERM') };
}

const node: Record<string, string> = {};
let nodeWasRunning = false;
const release = `e2e${Date.now().toString(36)}`;
const opNs = `${release}-system`;
const spNs = `${release}-shop`;
const spName = 'shop';
const n = names(spName);
const topic = uniqueName('e2e_orders').replace(/_/g, '-');
const tmp: Array<() => void> = [];
let cql: cassandra.Client;

const secretValue = async (ns: string, name: string, key: string) => {
  const s = await get<{ data: Record<string, string> }>(rest, `/api/v1/namespaces/${ns}/secrets/${name}`);
  if (!s?.data?.[key]) throw new Error(`Secret ${ns}/${name} has no key ${key}`);
  return Buffer.from(s.data[key], 'base64').toString('utf8');
};
const sp = () => get<any>(rest, spPath(spNs, spName));
const pods = async (ns: string, selector = '') =>
  (await get<{ items: any[] }>(
    rest,
    `/api/v1/namespaces/${ns}/pods${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`,
  ))!.items;
const processorSelector = `app.kubernetes.io/name=processor,app.kubernetes.io/instance=${spName}`;

/** Orders with ids unique to this run, created in the last minutes (the dashboard's ranges hold them). */
function orders(prefix: string, count: number): AcceptedOrder[] {
  const now = Date.now();
  return fc
    .sample(orderArbitrary({ minTime: now - 10 * 60_000, maxTime: now }), count)
    .map((o, i) => ({ ...o, order_id: `${release}-${prefix}-${i}` }));
}

async function postOrders(port: number, apiKey: string, list: AcceptedOrder[]): Promise<void> {
  for (let i = 0; i < list.length; i += 50) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ orders: list.slice(i, i + 50) }),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
}

/** This run's orders in Cassandra, by id. */
async function storedOrders(): Promise<Map<string, AcceptedOrder>> {
  const all = await readRawOrders(cql, 'salespipeline');
  return new Map([...all].filter(([id]) => id.startsWith(`${release}-`)));
}

/** The aggregates in the pipeline's own MySQL (the StatefulSet), read as the dashboard's user. */
async function aggregates() {
  const fwd = await portForward(spNs, n.mysql, 3306);
  try {
    const url = new URL(await secretValue(spNs, n.mysqlUrlSecret, mysqlUrlKeys.dashboard));
    url.host = `127.0.0.1:${fwd.port}`;
    const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 1 });
    try {
      return await readAggregates(pool);
    } finally {
      await pool.end();
    }
  } finally {
    fwd.stop();
  }
}

async function expectExactlyOnce(all: AcceptedOrder[]) {
  const stored = await waitFor(
    async () => {
      const s = await storedOrders();
      return s.size >= all.length ? s : undefined;
    },
    { timeoutMs: 20 * 60_000, intervalMs: 2_000, what: `${all.length} orders in Cassandra` },
  );
  expect(stored.size).toBe(all.length);
  expect(mapDiff(stored, new Map(all.map((o) => [o.order_id, normalise(o)])))).toEqual([]);
  const expected = expectedAggregates(all);
  const actual = await waitFor(
    async () => {
      const a = await aggregates();
      return mapDiff(a, expected).length === 0 ? a : undefined;
    },
    { timeoutMs: 20 * 60_000, intervalMs: 3_000, what: 'the aggregates of every order, once' },
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${JSON.stringify(mapDiff(await aggregates(), expected))}`);
  });
  expect(mapDiff(actual, expected)).toEqual([]);
}

const spec = (): SalesPipelineSpecInput => ({
  deletionPolicy: 'Delete',
  kafka: { external: { bootstrapServers: [node.SP_NODE_KAFKA!] }, topics: { name: topic, partitions: 4 } },
  cassandra: { external: { contactPoints: [node.SP_NODE_CASSANDRA!], localDatacenter: infra.cassandraLocalDc } },
  mysql: {
    image: 'salespipeline.local/mariadb:10.11',
    storage: { size: '1Gi', storageClassName: node.SP_NODE_STORAGE_CLASS! },
  },
  ingest: { replicas: 1, resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } } },
  // A CPU limit keeps each processor slow enough that a burst builds lag the autoscaler answers.
  processor: {
    minReplicas: 1,
    maxReplicas: 3,
    lagThreshold: 500,
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '150m', memory: '512Mi' } },
    autoscaling: { pollingSeconds: 2, scaleDown: { stabilizationSeconds: 3600 } },
  },
  dashboard: { replicas: 1 },
  placement: {
    nodeSelector: { [node.SP_NODE_LABEL!.split('=')[0]!]: node.SP_NODE_LABEL!.split('=')[1]! },
    tolerations: [
      {
        key: node.SP_NODE_TAINT!.split('=')[0]!,
        operator: 'Equal',
        value: node.SP_NODE_TAINT!.split('=')[1]!.split(':')[0]!,
        effect: 'NoSchedule',
      },
    ],
  },
});

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  for (const line of (await ok(script('infra/node.sh'), ['env'])).split('\n')) {
    const [k, ...v] = line.split('=');
    if (k && v.length) node[k] = v.join('=');
  }
  const bin = (await ok(script('infra/kube.sh'), ['bin-dir'])).trim();
  kubectl = join(bin, 'kubectl');
  helm = join(bin, 'helm');
  nodeWasRunning = (await run(script('infra/node.sh'), ['status'])).stdout.includes('kubelet          running');
  await ok(script('infra/node.sh'), ['start']);
  await ok(script('images.sh'), []);
  for (const [name, partitions] of [
    [topic, 4],
    [`${topic}.dlq`, 1],
    [`${topic}.late`, 1],
  ] as const)
    await ok(script('infra/kafka.sh'), ['topics-create', name, String(partitions)]);
  cql = new cassandra.Client({
    contactPoints: infra.cassandraContactPoints,
    localDataCenter: infra.cassandraLocalDc,
  });
  await cql.connect();
  await installCrds(rest);
  // The namespace of the pipeline first: the chart binds the operator's Role there (watchNamespace).
  await rest.request('POST', '/api/v1/namespaces', {
    body: { metadata: { name: spNs, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  });
});

afterAll(async () => {
  for (const stop of tmp) stop();
  await cql?.shutdown();
  for (const ns of [spNs, opNs]) await deleteNamespace(rest, ns);
  if (!nodeWasRunning) await run(script('infra/node.sh'), ['stop']);
});

describe('the platform on a real node', () => {
  const figures: Record<string, number> = {};
  const tolerations = () => JSON.stringify(spec().placement!.tolerations);
  const nodeSelector = () => JSON.stringify(spec().placement!.nodeSelector);

  it('helm install runs the operator as a real pod', async () => {
    const start = Date.now();
    await ok(helm, [
      'install',
      release,
      join(repo, 'charts', 'salespipeline-operator'),
      '--namespace',
      opNs,
      '--create-namespace',
      '--wait',
      '--timeout',
      '15m',
      '--set',
      `watchNamespace=${spNs}`,
      '--set-json',
      `tolerations=${tolerations()}`,
      '--set-json',
      `nodeSelector=${nodeSelector()}`,
    ]);
    figures.helmInstallToOperatorReadySeconds = (Date.now() - start) / 1000;
    const [op] = await pods(opNs, 'app.kubernetes.io/name=salespipeline-operator');
    expect(op.spec.nodeName).toBe(node.SP_NODE_NAME);
    expect(op.status.containerStatuses[0].ready).toBe(true);
  });

  it('a SalesPipeline becomes Ready from real pods, every one admitted under Pod Security restricted', async () => {
    const start = Date.now();
    await rest.request('POST', spPath(spNs), {
      body: {
        apiVersion: 'salespipeline.io/v1alpha1',
        kind: 'SalesPipeline',
        metadata: { name: spName },
        spec: spec(),
      },
    });
    await waitFor(async () => (await sp())?.status?.phase === 'Ready', {
      timeoutMs: 20 * 60_000,
      intervalMs: 2_000,
      what: 'phase Ready',
    }).catch(async (err: unknown) => {
      writeFileSync(
        join(artifacts, 'not-ready.json'),
        JSON.stringify({ sp: await sp(), pods: await pods(spNs) }, null, 2),
      );
      throw err;
    });
    figures.applyToReadySeconds = (Date.now() - start) / 1000;
    const running = await pods(spNs);
    expect(running.map((p) => p.metadata.labels['app.kubernetes.io/name']).sort()).toEqual(
      ['dashboard', 'ingest', 'mysql', 'processor'].sort(),
    );
    for (const p of running) {
      expect(p.spec.nodeName).toBe(node.SP_NODE_NAME);
      expect(p.status.phase).toBe('Running');
      expect(p.status.containerStatuses.every((c: any) => c.ready)).toBe(true);
    }
    const pvc = await get<any>(rest, `/api/v1/namespaces/${spNs}/persistentvolumeclaims/data-${n.mysql}-0`);
    expect(pvc.status.phase).toBe('Bound');
    // The namespace really enforces restricted: a root pod is refused.
    await expect(
      rest.request('POST', `/api/v1/namespaces/${spNs}/pods`, {
        body: {
          metadata: { name: 'root' },
          spec: { containers: [{ name: 'c', image: 'salespipeline.local/pause:1' }] },
        },
      }),
    ).rejects.toThrow(/violates PodSecurity "restricted/);
  });

  const first = orders('a', 300);
  it('orders posted to the ingest Service are stored once and counted once, and the dashboard shows them', async () => {
    const apiKey = (await secretValue(spNs, ingestApiKeys.generatedSecret(spName), ingestApiKeys.secretKey)).split(
      ':',
    )[1]!;
    const ingest = await portForward(spNs, n.app('ingest'), 8080);
    tmp.push(ingest.stop);
    await postOrders(ingest.port, apiKey, first);
    await expectExactlyOnce(first);
    const dashboard = await portForward(spNs, n.app('dashboard'), 8080);
    tmp.push(dashboard.stop);
    const summary = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${dashboard.port}/api/summary?range=all`);
        const body = (await res.json()) as { kpis: { orders: number } };
        return body.kpis?.orders === first.length ? body : undefined;
      },
      { timeoutMs: 5 * 60_000, intervalMs: 2_000, what: `the dashboard to count ${first.length} orders` },
    );
    expect(summary.kpis.orders).toBe(first.length);
  });

  const burst = orders('b', 20_000);
  it('lag makes the autoscaler add processor pods that consume; a processor killed mid-stream loses and doubles nothing', async () => {
    const kafka = new Kafka({ clientId: 'e2e', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    await produceOrders(kafka, topic, burst);
    await waitFor(
      async () => {
        const list = await pods(spNs, processorSelector);
        return list.filter((p) => p.status.containerStatuses?.every((c: any) => c.ready)).length >= 2;
      },
      { timeoutMs: 15 * 60_000, intervalMs: 2_000, what: 'a second ready processor pod' },
    );
    // More than one member of the group holds partitions: the new pods consume.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const group = await waitFor(
        async () => {
          const [g] = (
            await admin.describeGroups([spec().processor!.autoscaling!.consumerGroup ?? 'salespipeline-processor'])
          ).groups;
          return g && g.members.filter((m) => m.memberAssignment.length > 0).length >= 2 ? g : undefined;
        },
        { timeoutMs: 10 * 60_000, intervalMs: 2_000, what: 'two consumers with partitions' },
      );
      figures.processorPodsAtPeak = group.members.length;
    } finally {
      await admin.disconnect();
    }
    const victim = (await pods(spNs, processorSelector))[0];
    await kube('delete', 'pod', '-n', spNs, victim.metadata.name, '--grace-period=0', '--force');
    await expectExactlyOnce([...first, ...burst]);
  });

  it('helm uninstall deletes the SalesPipeline, its pods and claims, and the operator', async () => {
    await ok(helm, ['uninstall', release, '--namespace', opNs, '--wait', '--timeout', '15m']);
    expect(await sp()).toBeUndefined();
    await waitFor(async () => (await pods(spNs)).length === 0, {
      timeoutMs: 10 * 60_000,
      intervalMs: 2_000,
      what: 'the pipeline pods gone',
    });
    const claims = await get<{ items: unknown[] }>(rest, `/api/v1/namespaces/${spNs}/persistentvolumeclaims`);
    expect(claims!.items).toEqual([]);
    await waitFor(async () => (await pods(opNs)).length === 0, {
      timeoutMs: 5 * 60_000,
      what: 'the operator pod gone',
    });
    writeFileSync(join(artifacts, 'figures.json'), JSON.stringify(figures, null, 2));
  });
});
