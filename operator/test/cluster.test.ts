/**
 * End to end on a REAL node (scripts/infra/node.sh: containerd, kubelet, kube-proxy, CoreDNS in a
 * network namespace): the images built here (scripts/images.sh), the operator installed with
 * `helm install`, a SalesPipeline applied as a user would, with Kafka and Cassandra external (the
 * project's own services, bridged into the node's namespace) and MySQL managed (a StatefulSet of the
 * MariaDB image built here, its claim bound to a local volume). Every pod really runs, under Pod
 * Security `restricted`. Orders go through the ingest Service and must come out exactly once, also
 * while the autoscaler adds processors and one is killed mid-stream; `helm uninstall` tears it down.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  expectedAggregates,
  localStateDir,
  mapDiff,
  normalise,
  produceOrders,
  testInfra,
  uniqueName,
} from '@salespipeline/shared/testing';
import type { AcceptedOrder } from '@salespipeline/shared';
import { ingestApiKeys, names } from '@salespipeline/cdk8s';
import { LocalCluster, ordersFor, postOrders, waitForStored } from '@salespipeline/operator/testing/cluster';
import { deleteNamespace, get, installCrds, ok, run, testRest, waitFor } from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
// Building the images and starting the node the first time takes minutes; nothing here is timed.
jest.setTimeout(60 * 60_000);

const repo = join(import.meta.dirname, '..', '..');
const artifacts = join(repo, 'test-artifacts', 'cluster');
const infra = testInfra();
const rest = testRest();
const cluster = new LocalCluster(rest);

const release = `e2e${Date.now().toString(36)}`;
const opNs = `${release}-system`;
const spNs = `${release}-shop`;
const spName = 'shop';
const n = names(spName);
const topic = uniqueName('e2e_orders').replace(/_/g, '-');
const partitions = 4;
// Its own consumer group: processors of other tests (the default group) must never share it.
const consumerGroup = uniqueName('e2e_processor');
const processorSelector = `app.kubernetes.io/name=processor,app.kubernetes.io/instance=${spName}`;
const stops: Array<() => void> = [];
let cql: cassandra.Client;

// A CPU limit keeps each processor slow enough that a burst builds lag the autoscaler answers.
const spec = () =>
  cluster.spec(topic, partitions, {
    minReplicas: 1,
    maxReplicas: 3,
    lagThreshold: 500,
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '150m', memory: '512Mi' } },
    autoscaling: { consumerGroup, pollingSeconds: 2, scaleDown: { stabilizationSeconds: 3600 } },
  });

async function expectExactlyOnce(all: AcceptedOrder[]) {
  const stored = await waitForStored(cql, `${release}-`, all.length);
  expect(stored.size).toBe(all.length);
  expect(mapDiff(stored, new Map(all.map((o) => [o.order_id, normalise(o)])))).toEqual([]);
  const expected = expectedAggregates(all);
  const actual = await waitFor(
    async () => {
      const a = await cluster.aggregates(spNs, spName);
      return mapDiff(a, expected).length === 0 ? a : undefined;
    },
    { timeoutMs: 20 * 60_000, intervalMs: 3_000, what: 'the aggregates of every order, once' },
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${JSON.stringify(mapDiff(await cluster.aggregates(spNs, spName), expected))}`);
  });
  expect(mapDiff(actual, expected)).toEqual([]);
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  await cluster.start(topic, partitions);
  cql = new cassandra.Client({ contactPoints: infra.cassandraContactPoints, localDataCenter: infra.cassandraLocalDc });
  await cql.connect();
  await installCrds(rest);
  // The namespace of the pipeline first: the chart binds the operator's Role there (watchNamespace).
  await cluster.createNamespace(spNs);
});

afterAll(async () => {
  for (const stop of stops) stop();
  await cql?.shutdown();
  for (const ns of [spNs, opNs]) await deleteNamespace(rest, ns);
  await cluster.stop();
});

describe('the platform on a real node', () => {
  it('helm install runs the operator as a real pod', async () => {
    await cluster.helmInstall(release, opNs, spNs);
    const [op] = await cluster.pods(opNs, 'app.kubernetes.io/name=salespipeline-operator');
    expect(op.spec.nodeName).toBe(cluster.node.SP_NODE_NAME);
    expect(op.status.containerStatuses[0].ready).toBe(true);
  });

  it('a SalesPipeline becomes Ready from real pods, every one admitted under Pod Security restricted', async () => {
    await cluster.applySalesPipeline(spNs, spName, spec());
    await cluster.waitForPhase(spNs, spName, 'Ready').catch(async (err: unknown) => {
      const state = { sp: await cluster.salesPipeline(spNs, spName), pods: await cluster.pods(spNs) };
      writeFileSync(join(artifacts, 'not-ready.json'), JSON.stringify(state, null, 2));
      throw err;
    });
    // Ready does not wait for the dashboard (nor for a pod's latest readiness probe): wait for every pod.
    const running = await waitFor(
      async () => {
        const pods = await cluster.pods(spNs);
        const ready = (p: any) =>
          p.status.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready);
        return pods.length === 4 && pods.every(ready) && pods;
      },
      { timeoutMs: 10 * 60_000, intervalMs: 2_000, what: 'the four pods running and ready' },
    ).catch(async (err: unknown) => {
      writeFileSync(join(artifacts, 'pods-not-ready.json'), JSON.stringify(await cluster.pods(spNs), null, 2));
      throw err;
    });
    expect(running.map((p) => p.metadata.labels['app.kubernetes.io/name']).sort()).toEqual(
      ['dashboard', 'ingest', 'mysql', 'processor'].sort(),
    );
    for (const p of running) {
      expect(p.spec.nodeName).toBe(cluster.node.SP_NODE_NAME);
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

  const first = ordersFor(`${release}-a`, 300);
  it('orders posted to the ingest Service are stored once and counted once, and the dashboard shows them', async () => {
    const key = await cluster.secretValue(spNs, ingestApiKeys.generatedSecret(spName), ingestApiKeys.secretKey);
    const ingest = await cluster.portForward(spNs, n.app('ingest'), 8080);
    stops.push(ingest.stop);
    await postOrders(ingest.port, key.split(':')[1]!, first);
    await expectExactlyOnce(first);
    const dashboard = await cluster.portForward(spNs, n.app('dashboard'), 8080);
    stops.push(dashboard.stop);
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

  const burst = ordersFor(`${release}-b`, 20_000);
  it('lag makes the autoscaler add processor pods that consume; a processor killed mid-stream loses and doubles nothing', async () => {
    const kafka = new Kafka({ clientId: 'e2e', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    await produceOrders(kafka, topic, burst);
    await waitFor(
      async () => {
        const list = await cluster.pods(spNs, processorSelector);
        return list.filter((p) => p.status.containerStatuses?.every((c: any) => c.ready)).length >= 2;
      },
      { timeoutMs: 15 * 60_000, intervalMs: 2_000, what: 'a second ready processor pod' },
    );
    // More than one member of the group holds partitions: the new pods consume.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const [g] = (await admin.describeGroups([consumerGroup])).groups;
          return g && g.members.filter((m) => m.memberAssignment.length > 0).length >= 2;
        },
        { timeoutMs: 10 * 60_000, intervalMs: 2_000, what: 'two consumers with partitions' },
      );
    } finally {
      await admin.disconnect();
    }
    const [victim] = await cluster.pods(spNs, processorSelector);
    await ok(cluster.kubectl, ['delete', 'pod', '-n', spNs, victim.metadata.name, '--grace-period=0', '--force']);
    await expectExactlyOnce([...first, ...burst]);
  });

  it('helm uninstall deletes the SalesPipeline, its pods and claims, and the operator', async () => {
    await cluster.helmUninstall(release, opNs);
    expect(await cluster.salesPipeline(spNs, spName)).toBeUndefined();
    await waitFor(async () => (await cluster.pods(spNs)).length === 0, {
      timeoutMs: 10 * 60_000,
      intervalMs: 2_000,
      what: 'the pipeline pods gone',
    });
    // A claim's pvc-protection finalizer goes (kube-controller-manager) only after its pod is gone.
    await waitFor(
      async () =>
        (await get<{ items: unknown[] }>(rest, `/api/v1/namespaces/${spNs}/persistentvolumeclaims`))!.items.length ===
        0,
      { timeoutMs: 5 * 60_000, intervalMs: 2_000, what: 'the claims gone' },
    );
    await waitFor(async () => (await cluster.pods(opNs)).length === 0, {
      timeoutMs: 5 * 60_000,
      what: 'the operator pod gone',
    });
  });

  it('node.sh recovers a node killed with kill -9, and stop leaves nothing behind', async () => {
    const nodeSh = join(repo, 'scripts', 'infra', 'node.sh');
    const node = cluster.node;
    const podReady = async () => {
      const p = await get<any>(rest, `/api/v1/namespaces/${spNs}/pods/sleeper`);
      return p?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    };
    // A restricted pod of the pause image built here.
    await rest.request('POST', `/api/v1/namespaces/${spNs}/pods`, {
      body: {
        metadata: { name: 'sleeper' },
        spec: {
          ...cluster.placement(),
          securityContext: { runAsNonRoot: true, runAsUser: 65535, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'pause',
              image: 'salespipeline.local/pause:1',
              imagePullPolicy: 'Never',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    });
    await waitFor(podReady, { timeoutMs: 5 * 60_000, what: 'the pod Ready' });

    const pid = (name: string) => readFileSync(join(localStateDir, name, `${name}.pid`), 'utf8').trim();
    await ok('kill', ['-9', pid('kubelet'), pid('node-containerd')]);
    await ok(nodeSh, ['start']);
    await waitFor(podReady, { timeoutMs: 5 * 60_000, what: 'the pod Ready again after kill -9' });

    await ok(nodeSh, ['stop']);
    const leftovers = {
      shims: (await run('pgrep', ['-f', '--', `-address ${node.SP_NODE_CONTAINERD_SOCK} `])).stdout.trim(),
      mounts: readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .filter((m) => m.includes(`${node.SP_NODE_STATE}/`)),
      netns: existsSync(`/run/netns/${node.SP_NODE_NETNS}`),
      cgroups: readdirSync('/sys/fs/cgroup').filter((h) =>
        existsSync(`/sys/fs/cgroup/${h}${node.SP_NODE_CGROUP_ROOT}`),
      ),
      node: (await get(rest, `/api/v1/nodes/${node.SP_NODE_NAME}`)) !== undefined,
    };
    expect(leftovers).toEqual({ shims: '', mounts: [], netns: false, cgroups: [], node: false });
    await ok(nodeSh, ['start']); // as it was: afterAll stops it if this test run started it
  });
});
