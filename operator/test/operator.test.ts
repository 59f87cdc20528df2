/**
 * The operator in-process against the real kube-apiserver (with the real Strimzi, K8ssandra and
 * Prometheus Operator CRDs installed, so the apiserver validates every object we generate).
 * Nothing runs Strimzi or cass-operator here: the tests set the children's statuses as those
 * operators would. The Deployments and the StatefulSet are run by the real controllers, the
 * scheduler and kwok (scripts/infra/kube.sh), which report them ready themselves.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { finalizer, ownedKinds, pauseAnnotation } from '@salespipeline/cdk8s';
import { KubeClient, objectPath, type KubeRest, type Operator } from '@salespipeline/operator';
import {
  createSp,
  get,
  mergePatch,
  setUpNamespace,
  spPath,
  tearDownNamespace,
  testOperator,
  waitFor,
} from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
jest.setTimeout(60_000);
let rest: KubeRest;
let ns: string;
let operator: Operator;

const childPaths = (name: string) => ({
  kafka: objectPath('kafka.strimzi.io/v1beta2', 'kafkas', ns, name),
  pool: objectPath('kafka.strimzi.io/v1beta2', 'kafkanodepools', ns, `${name}-pool`),
  topic: objectPath('kafka.strimzi.io/v1beta2', 'kafkatopics', ns, `${name}-orders`),
  k8ssandra: objectPath('k8ssandra.io/v1alpha1', 'k8ssandraclusters', ns, name),
  mysql: objectPath('apps/v1', 'statefulsets', ns, `${name}-mysql`),
  ingest: objectPath('apps/v1', 'deployments', ns, `${name}-ingest`),
  processor: objectPath('apps/v1', 'deployments', ns, `${name}-processor`),
  dashboard: objectPath('apps/v1', 'deployments', ns, `${name}-dashboard`),
  secret: objectPath('v1', 'secrets', ns, `${name}-mysql`),
  cassandraRoles: objectPath('v1', 'secrets', ns, `${name}-cassandra-roles`),
  serviceMonitor: objectPath('monitoring.coreos.com/v1', 'servicemonitors', ns, name),
  mysqlInit: objectPath('v1', 'secrets', ns, `${name}-mysql-init`),
  networkPolicy: objectPath('networking.k8s.io/v1', 'networkpolicies', ns, `${name}-mysql`),
});

const condition = (sp: any, type: string) => sp?.status?.conditions?.find((c: any) => c.type === type);
const setStatus = (path: string, status: unknown) => mergePatch(rest, `${path}/status`, { status });

beforeAll(async () => {
  ({ rest, ns } = await setUpNamespace('op'));
  operator = testOperator(ns);
});

afterAll(async () => {
  await tearDownNamespace(rest, ns, [operator]);
  await rest.request('DELETE', `/api/v1/persistentvolumes/${ns}-mysql`).catch(() => undefined);
});

describe('SalesPipeline operator (real kube-apiserver)', () => {
  it('create → every child exists with the expected spec and owner', async () => {
    const sp = await createSp(rest, ns, 'shop', {
      kafka: { replicas: 1 },
      monitoring: { serviceMonitor: { enabled: true } },
    });
    const paths = childPaths('shop');
    for (const [what, path] of Object.entries(paths)) {
      const obj = await waitFor(() => get(rest, path), { what, timeoutMs: 20_000 });
      expect(obj.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'SalesPipeline', name: 'shop', uid: sp.metadata.uid, controller: true }),
      ]);
      expect(
        obj.metadata.managedFields.some((m: any) => m.manager === 'salespipeline-operator' && m.operation === 'Apply'),
      ).toBe(true);
    }
    const kafka = await get(rest, paths.kafka);
    expect(kafka.metadata.annotations['strimzi.io/kraft']).toBe('enabled');
    expect((await get(rest, paths.pool)).spec.replicas).toBe(1);
    const processor = await get(rest, paths.processor);
    const env = processor.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'MYSQL_URL').valueFrom.secretKeyRef).toEqual({
      name: 'shop-mysql-url',
      key: 'processor-url',
    });
    expect(env.every((e: any) => !/password/i.test(String(e.value ?? '')))).toBe(true);
    const stored = await get(rest, spPath(ns, 'shop'));
    expect(stored.metadata.finalizers).toContain(finalizer);
    // The CRD defaulted the spec (the apiserver, not the operator).
    expect(stored.spec.kafka.topics.partitions).toBe(12);
  });

  it('keeps generated MySQL and Cassandra role passwords stable across reconciles', async () => {
    const paths = childPaths('shop');
    const before = { mysql: await get(rest, paths.secret), cassandra: await get(rest, paths.cassandraRoles) };
    await mergePatch(rest, spPath(ns, 'shop'), { spec: { ingest: { replicas: 3 } } });
    await waitFor(async () => (await get(rest, paths.ingest))?.spec.replicas === 3, { what: 'ingest 3' });
    const after = { mysql: await get(rest, paths.secret), cassandra: await get(rest, paths.cassandraRoles) };
    for (const [secret, key] of [
      ['mysql', 'root-password'],
      ['mysql', 'processor-password'],
      ['mysql', 'dashboard-password'],
      ['cassandra', 'processor-password'],
      ['cassandra', 'dashboard-password'],
    ] as const) {
      expect(after[secret].data[key]).toBeTruthy();
      expect(after[secret].data[key]).toBe(before[secret].data[key]);
    }
    expect(after.cassandra.data['processor-password']).not.toBe(after.cassandra.data['dashboard-password']);
  });

  it('update the spec → children follow (and disabled parts are pruned)', async () => {
    await mergePatch(rest, spPath(ns, 'shop'), {
      spec: { kafka: { replicas: 3, topics: { partitions: 24 } }, dashboard: { enabled: false } },
    });
    const paths = childPaths('shop');
    await waitFor(async () => (await get(rest, paths.pool))?.spec.replicas === 3, { what: 'pool replicas 3' });
    await waitFor(async () => (await get(rest, paths.topic))?.spec.partitions === 24, { what: 'partitions 24' });
    await waitFor(async () => (await get(rest, paths.dashboard)) === undefined, { what: 'dashboard pruned' });
  });

  it('edit a child by hand → reverted', async () => {
    const paths = childPaths('shop');
    await mergePatch(rest, paths.processor, { spec: { replicas: 7 } });
    await mergePatch(rest, paths.kafka, { spec: { kafka: { version: '3.8.0' } } });
    await waitFor(async () => (await get(rest, paths.processor))?.spec.replicas === 1, { what: 'processor reverted' });
    await waitFor(async () => (await get(rest, paths.kafka))?.spec.kafka.version === '3.9.0', {
      what: 'kafka reverted',
    });
  });

  it('children statuses as Strimzi/K8ssandra/Kubernetes would set them → conditions and phase follow', async () => {
    const paths = childPaths('shop');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await setStatus(paths.kafka, { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] });
    await waitFor(async () => condition(await get(rest, spPath(ns, 'shop')), 'KafkaReady')?.status === 'True', {
      what: 'KafkaReady',
    });
    let sp = await get(rest, spPath(ns, 'shop'));
    expect(sp.status.phase).toBe('Provisioning');
    expect(condition(sp, 'Ready').status).toBe('False');

    await setStatus(paths.k8ssandra, { datacenters: { dc1: { cassandra: { cassandraOperatorProgress: 'Ready' } } } });
    // MySQL, ingest and processor are a real StatefulSet and Deployments: give MySQL's claim a volume,
    // and the scheduler + kwok run the pods, so the StatefulSet and Deployment controllers themselves
    // report them ready (no status faked here).
    await rest.request('POST', '/api/v1/persistentvolumes', {
      body: {
        metadata: { name: `${ns}-mysql` },
        spec: {
          capacity: { storage: '20Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: `/tmp/${ns}` },
          claimRef: { namespace: ns, name: 'data-shop-mysql-0' },
        },
      },
    });
    let last: unknown;
    sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'shop'));
        last = s?.status?.conditions;
        return s?.status?.phase === 'Ready' && s;
      },
      // A volume bound, pods scheduled (the scheduler backs off up to 10 s) and run by kwok, two controllers'
      // status updates and a reconcile.
      { what: 'phase Ready', timeoutMs: 120_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; conditions: ${JSON.stringify(last)}`);
    });
    for (const t of ['KafkaReady', 'CassandraReady', 'MySQLReady', 'IngestReady', 'ProcessorReady', 'Ready'])
      expect(condition(sp, t)).toMatchObject({ status: 'True', observedGeneration: sp.metadata.generation });
    expect(sp.status.observedGeneration).toBe(sp.metadata.generation);
    expect(sp.status.endpoints.kafkaBootstrap).toBe('shop-kafka-bootstrap:9092');

    // Kafka goes NotReady → Degraded, with an Event.
    await setStatus(paths.kafka, {
      conditions: [{ type: 'NotReady', status: 'True', message: 'broker down', lastTransitionTime: now }],
    });
    await waitFor(async () => (await get(rest, spPath(ns, 'shop')))?.status?.phase === 'Degraded', {
      what: 'Degraded',
    });
    // The Event follows the status write (recorded just after it): wait for it rather than race it.
    const hasEvent = async (reason: string) =>
      (await rest.request<any>('GET', `/api/v1/namespaces/${ns}/events`)).items.some(
        (e: any) => e.involvedObject.name === 'shop' && e.reason === reason,
      );
    await waitFor(() => hasEvent('PhaseReady'), { what: 'PhaseReady event' });
    await waitFor(() => hasEvent('PhaseDegraded'), { what: 'PhaseDegraded event' });
  }, 240_000);

  it('a status computed from a stale copy is refused (409), not written over a newer one', async () => {
    // The reconciler derives the phase from the status it read: from a copy older than its own last
    // write (its informer behind), a Degraded pipeline would have been written back as Provisioning.
    const stale = await get(rest, spPath(ns, 'shop'));
    expect(stale.status.phase).toBe('Degraded');
    await mergePatch(rest, spPath(ns, 'shop'), { metadata: { labels: { 'test.salespipeline.io/touched': 'yes' } } });
    await expect(
      new KubeClient(rest).applyStatus(stale, { ...stale.status, phase: 'Provisioning' }, { ifUnchanged: true }),
    ).rejects.toMatchObject({ status: 409 });
    expect((await get(rest, spPath(ns, 'shop'))).status.phase).toBe('Degraded');
  });

  it('invalid specs → rejected by the CRD (OpenAPI and CEL)', async () => {
    const reject = (spec: unknown) =>
      createSp(rest, ns, `bad-${Math.random().toString(36).slice(2, 7)}`, spec as never);
    await expect(reject({ processor: { minReplicas: 5, maxReplicas: 2 } })).rejects.toThrow(
      /maxReplicas must be >= minReplicas/,
    );
    await expect(reject({ kafka: { replicas: 0 } })).rejects.toThrow(/spec.kafka.replicas/);
    await expect(reject({ ingest: { serviceType: 'Ingress' } })).rejects.toThrow(/serviceType/);
    // Transition rules: partitions never decrease; the Cassandra cluster name is immutable.
    await expect(
      mergePatch(rest, spPath(ns, 'shop'), { spec: { kafka: { topics: { partitions: 6 } } } }),
    ).rejects.toThrow(/partitions can only grow/);
    await expect(
      mergePatch(rest, spPath(ns, 'shop'), { spec: { cassandra: { clusterName: 'other' } } }),
    ).rejects.toThrow(/clusterName is immutable/);
  });

  it('a spec the CRD accepts but the operator cannot use → reported in status, operator keeps running', async () => {
    await createSp(rest, ns, 'nosecret', { mysql: { existingSecret: 'does-not-exist' } });
    const sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'nosecret'));
        return s?.status?.phase === 'Invalid' && s;
      },
      { what: 'Invalid phase' },
    );
    expect(condition(sp, 'Ready')).toMatchObject({ status: 'False', reason: 'MySQLSecretMissing' });
    expect(operator.controller.isRunning).toBe(true);
    await rest.request('DELETE', spPath(ns, 'nosecret'));
  });

  it('pause → nothing changes; unpause → reconciled again', async () => {
    const paths = childPaths('shop');
    await mergePatch(rest, spPath(ns, 'shop'), { metadata: { annotations: { [pauseAnnotation]: 'true' } } });
    await waitFor(async () => (await get(rest, spPath(ns, 'shop')))?.status?.phase === 'Paused', { what: 'Paused' });
    await mergePatch(rest, paths.ingest, { spec: { replicas: 9 } });
    await mergePatch(rest, spPath(ns, 'shop'), { spec: { processor: { minReplicas: 2 } } });
    await sleep(6_000); // longer than the 5 s resync
    expect((await get(rest, paths.ingest)).spec.replicas).toBe(9);
    expect((await get(rest, paths.processor)).spec.replicas).toBe(1);
    await mergePatch(rest, spPath(ns, 'shop'), { metadata: { annotations: { [pauseAnnotation]: null } } });
    await waitFor(async () => (await get(rest, paths.ingest))?.spec.replicas === 3, { what: 'ingest back to 3' });
    await waitFor(async () => (await get(rest, paths.processor))?.spec.replicas === 2, { what: 'processor 2' });
  });

  it('delete → ordered teardown (apps, topics, Kafka, Cassandra, MySQL) and the finalizer released', async () => {
    const paths = childPaths('shop');
    // A finalizer on the Kafka (as Strimzi would hold) keeps the Kafka stage from completing.
    await mergePatch(rest, paths.kafka, { metadata: { finalizers: ['test.salespipeline.io/hold'] } });
    await rest.request('DELETE', spPath(ns, 'shop'));
    await waitFor(async () => (await get(rest, paths.ingest)) === undefined, { what: 'apps gone' });
    await waitFor(async () => (await get(rest, paths.topic)) === undefined, { what: 'topics gone' });
    await waitFor(async () => (await get(rest, paths.kafka))?.metadata.deletionTimestamp, { what: 'kafka deleting' });
    await sleep(2_000);
    // Kafka not gone yet → Cassandra and MySQL untouched, SalesPipeline still there.
    expect((await get(rest, paths.k8ssandra))?.metadata.deletionTimestamp).toBeUndefined();
    expect((await get(rest, paths.mysql))?.metadata.deletionTimestamp).toBeUndefined();
    expect((await get(rest, spPath(ns, 'shop')))?.status.phase).toBe('Deleting');
    await mergePatch(rest, paths.kafka, { metadata: { finalizers: null } });
    await waitFor(async () => (await get(rest, paths.k8ssandra)) === undefined, { what: 'cassandra gone' });
    await waitFor(async () => (await get(rest, paths.mysql)) === undefined, { what: 'mysql gone' });
    await waitFor(async () => (await get(rest, spPath(ns, 'shop'))) === undefined, { what: 'SalesPipeline gone' });
    for (const k of ownedKinds) {
      const list = await rest.request<any>(
        'GET',
        `${k.apiVersion.includes('/') ? '/apis/' : '/api/'}${k.apiVersion}/namespaces/${ns}/${k.plural}?labelSelector=app.kubernetes.io/instance=shop`,
      );
      expect(list.items).toEqual([]);
    }
  });
});
