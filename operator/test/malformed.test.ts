/**
 * Malformed SalesPipelines on the real kube-apiserver: each one is either rejected by the
 * CRD (OpenAPI schema, CEL) with the expected message, or accepted and reported in the status with a
 * condition reason. Meanwhile the operator keeps running, does not hot-loop (its reconcile count over
 * a window stays bounded), and a valid SalesPipeline — with Kafka authentication and NetworkPolicies —
 * still reconciles into children the real Strimzi and Kubernetes schemas accept.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { objectPath, type KubeRest, type Operator } from '@salespipeline/operator';
import { apiVersion } from '@salespipeline/cdk8s';
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
let rest: KubeRest;
let ns: string;
let operator: Operator;

const post = (name: string, spec: unknown, query?: Record<string, string>) =>
  rest.request<any>('POST', spPath(ns), {
    body: { apiVersion, kind: 'SalesPipeline', metadata: { name, namespace: ns }, spec },
    ...(query ? { query } : {}),
  });
const condition = (sp: any, type: string) => sp?.status?.conditions?.find((c: any) => c.type === type);
const reconciles = async (result?: string) =>
  (await operator.registry.getSingleMetric('controller_reconcile_total')!.get()).values
    .filter((v) => result === undefined || v.labels.result === result)
    .reduce((n, v) => n + v.value, 0);
const hasEvent = async (name: string, reason: string) =>
  (await rest.request<any>('GET', `/api/v1/namespaces/${ns}/events`)).items.some(
    (e: any) => e.involvedObject.name === name && e.reason === reason,
  );

/**
 * Waits until the children's churn is over: every Deployment rolled out (each status change of a child
 * queues a reconcile), then no reconcile for two seconds (those queued have run).
 */
async function settle(): Promise<void> {
  await waitFor(
    async () =>
      (await rest.request<any>('GET', `/apis/apps/v1/namespaces/${ns}/deployments`)).items.every(
        (d: any) =>
          d.status?.observedGeneration === d.metadata.generation && d.status?.availableReplicas === d.spec.replicas,
      ),
    { what: 'the Deployments rolled out', timeoutMs: 60_000 },
  );
  let last = -1;
  let since = 0;
  await waitFor(
    async () => {
      const now = await reconciles();
      if (now !== last) [last, since] = [now, Date.now()];
      return Date.now() - since >= 2_000;
    },
    { what: 'no more reconciles queued', timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  ({ rest, ns } = await setUpNamespace('malformed'));
  // A slow resync, so the reconcile count below measures retries, not the periodic resync.
  operator = testOperator(ns, { RESYNC_SECONDS: '60' });
});

afterAll(() => tearDownNamespace(rest, ns, [operator]));

// [what, spec, expected apiserver message]
const rejected: Array<[string, unknown, RegExp]> = [
  ['spec not an object', 'hello', /spec: Invalid value: "string": spec in body must be of type object/],
  ['wrong type', { kafka: { replicas: 'three' } }, /spec\.kafka\.replicas in body must be of type integer/],
  ['number out of range', { processor: { minReplicas: 0 } }, /spec\.processor\.minReplicas in body should be greater than or equal to 1/],
  ['number too large', { kafka: { topics: { partitions: 100000 } } }, /spec\.kafka\.topics\.partitions in body should be less than or equal to 1000/],
  ['float for an integer', { ingest: { replicas: 1.5 } }, /spec\.ingest\.replicas in body must be of type integer/],
  ['unknown enum value', { kafka: { authentication: 'kerberos' } }, /spec\.kafka\.authentication: Unsupported value: "kerberos"/],
  ['CEL: min above max', { processor: { minReplicas: 5, maxReplicas: 2 } }, /maxReplicas must be >= minReplicas/],
  ['CEL: more consumers than partitions', { kafka: { topics: { partitions: 2 } }, processor: { maxReplicas: 3 } }, /processor\.maxReplicas must not exceed kafka\.topics\.partitions/],
  ['CEL: keda with Kafka authentication', { kafka: { authentication: 'scram-sha-512' }, processor: { autoscaling: { mode: 'keda' } } }, /keda needs kafka\.authentication none/],
  ['huge string', { ingest: { image: `registry.example/${'x'.repeat(100_000)}` } }, /spec\.ingest\.image: Too long: may not be (more|longer) than 512/],
  ['image with whitespace', { processor: { image: 'not an image' } }, /spec\.processor\.image in body should match/],
  ['bad quantity', { mysql: { storage: { size: 'lots' } } }, /spec\.mysql\.storage\.size in body should match/],
  ['bad StorageClass name', { kafka: { storage: { storageClassName: 'Fast_SSD!' } } }, /spec\.kafka\.storage\.storageClassName in body should match/],
  ['bad Secret name', { mysql: { existingSecret: 'My_Secret' } }, /spec\.mysql\.existingSecret in body should match/],
  ['too many namespaces', { networkPolicies: { dashboardNamespaces: Array.from({ length: 40 }, (_, i) => `ns${i}`) } }, /spec\.networkPolicies\.dashboardNamespaces: Too many: 40: must have at most 32 items/],
  ['bad namespace name', { networkPolicies: { monitoringNamespace: 'Monitoring' } }, /spec\.networkPolicies\.monitoringNamespace in body should match/],
  ['boolean as string', { networkPolicies: { enabled: 'yes' } }, /spec\.networkPolicies\.enabled in body must be of type boolean/],
]; // prettier-ignore

describe('malformed SalesPipelines (real kube-apiserver)', () => {
  it.each(rejected)('%s → rejected by the CRD', async (_what, spec, message) => {
    const name = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const err = await post(name, spec).then(
      () => undefined,
      (e: any) => e,
    );
    expect(err?.status).toBe(422);
    expect(String(err.message)).toMatch(message);
    expect(await get(rest, spPath(ns, name))).toBeUndefined();
  });

  it('a name longer than 40 characters → rejected (every derived name must fit 63)', async () => {
    await expect(post('n'.repeat(41), {})).rejects.toThrow(/metadata\.name must be at most 40 characters/);
  });

  it('unknown fields under spec: pruned by default (the apiserver warns), rejected with fieldValidation=Strict', async () => {
    const spec = { kafka: { replicas: 1, brokers: 3 }, frobnicate: true };
    await expect(post('unknown-strict', spec, { fieldValidation: 'Strict' })).rejects.toThrow(
      /unknown field "spec\.(frobnicate|kafka\.brokers)"/,
    );
    await post('unknown', spec);
    const stored = await get(rest, spPath(ns, 'unknown'));
    expect(stored.spec.frobnicate).toBeUndefined();
    expect(stored.spec.kafka.brokers).toBeUndefined();
    expect(stored.spec.kafka.replicas).toBe(1);
  });

  // Accepted by the CRD, unusable: reported in the status (phase Invalid, Ready=False with a reason).
  const reported: Array<[string, string, unknown, string, RegExp]> = [
    ['existing MySQL secret missing', 'nosecret', { mysql: { existingSecret: 'absent' } }, 'MySQLSecretMissing', /MySQL secret absent not found \(needs the keys root-password, processor-password, dashboard-password\)/],
    ['existing MySQL secret of the old format', 'oldsecret', { mysql: { existingSecret: 'old-format' } }, 'MySQLSecretMissing', /lacks the keys processor-password, dashboard-password/],
    ['requests above limits (the apiserver rejects the Deployment)', 'limits', { kafka: { replicas: 1 }, ingest: { resources: { requests: { memory: '1Gi' }, limits: { memory: '64Mi' } } } }, 'ChildRejected', /Deployment limits-ingest rejected by the apiserver: .*must be less than or equal to memory limit/],
  ]; // prettier-ignore

  it('accepted but unusable → reported in status with a reason; no hot loop; the operator keeps running', async () => {
    await rest.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
      body: {
        metadata: { name: 'old-format' },
        stringData: { username: 'salespipeline', password: 'p', 'root-password': 'r' },
      },
    });
    for (const [, name, spec] of reported) await createSp(rest, ns, name, spec as never);
    for (const [what, name, , reason, message] of reported) {
      const sp = await waitFor(
        async () => {
          const s = await get(rest, spPath(ns, name));
          return s?.status?.phase === 'Invalid' && s;
        },
        { what: `${what}: phase Invalid`, timeoutMs: 20_000 },
      );
      expect(condition(sp, 'Ready')).toMatchObject({ status: 'False', reason });
      expect(condition(sp, 'Ready').message).toMatch(message);
      expect(sp.status.observedGeneration).toBe(sp.metadata.generation);
    }
    // The Event follows the status write (recorded just after it).
    await waitFor(() => hasEvent('limits', 'PhaseInvalid'), { what: 'PhaseInvalid event' });

    // No hot loop: over a 12 s window, a handful of reconciles at most per object (requeue after 30 s
    // for a missing Secret, none for a rejected child; child events may add one or two). Measured once
    // the children of the valid parts have settled: their rollout is not a retry.
    await settle();
    const objects = reported.length + 1; // + the pruned-but-valid `unknown`
    const before = await reconciles();
    const errorsBefore = await reconciles('error');
    await sleep(12_000);
    const during = (await reconciles()) - before;
    expect(during).toBeLessThanOrEqual(3 * objects);
    expect((await reconciles('error')) - errorsBefore).toBeLessThanOrEqual(2);
    expect(operator.controller.isRunning).toBe(true);
    expect(operator.watchesAlive()).toBe(true);

    // Fixing the spec recovers: the Deployment is applied and the phase leaves Invalid.
    await mergePatch(rest, spPath(ns, 'limits'), { spec: { ingest: { resources: { limits: { memory: '2Gi' } } } } });
    await waitFor(
      async () => (await get(rest, objectPath('apps/v1', 'deployments', ns, 'limits-ingest'))) !== undefined,
      {
        what: 'limits-ingest applied',
      },
    );
    await waitFor(async () => (await get(rest, spPath(ns, 'limits')))?.status?.phase === 'Provisioning', {
      what: 'limits: Provisioning',
    });
  });

  it('a valid SalesPipeline with SCRAM authentication still reconciles: KafkaUsers, ACLs, NetworkPolicies', async () => {
    await createSp(rest, ns, 'ok', {
      kafka: { replicas: 1, authentication: 'scram-sha-512' },
      networkPolicies: { dashboardNamespaces: ['office'] },
    });
    const user = await waitFor(
      () => get(rest, objectPath('kafka.strimzi.io/v1beta2', 'kafkausers', ns, 'ok-processor')),
      { what: 'KafkaUser ok-processor' },
    );
    expect(user.spec.authentication).toEqual({ type: 'scram-sha-512' });
    expect(user.spec.authorization.acls).toContainEqual({
      resource: { type: 'group', name: 'salespipeline-processor', patternType: 'literal' },
      operations: ['Read', 'Describe'],
      host: '*',
    });
    // The children are applied in parallel: each one is waited for.
    await waitFor(() => get(rest, objectPath('kafka.strimzi.io/v1beta2', 'kafkausers', ns, 'ok-ingest')), {
      what: 'KafkaUser ok-ingest',
    });
    const kafka = await waitFor(() => get(rest, objectPath('kafka.strimzi.io/v1beta2', 'kafkas', ns, 'ok')), {
      what: 'Kafka ok',
    });
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.kafka.listeners[0].authentication).toEqual({ type: 'scram-sha-512' });
    expect(kafka.spec.kafka.listeners[0].networkPolicyPeers).toHaveLength(3);
    const policies = await waitFor(
      async () => {
        const list = await rest.request<any>('GET', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`);
        const mine = list.items.filter((p: any) => p.metadata.name.startsWith('ok-'));
        return mine.length === 6 && mine;
      },
      { what: 'six NetworkPolicies' },
    );
    const dashboard = policies.find((p: any) => p.metadata.name === 'ok-dashboard');
    expect(dashboard.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values).toEqual([
      'office',
      'monitoring',
      ns,
    ]);
    const ingest = await waitFor(() => get(rest, objectPath('apps/v1', 'deployments', ns, 'ok-ingest')), {
      what: 'Deployment ok-ingest',
    });
    const env = ingest.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'KAFKA_SASL_PASSWORD').valueFrom.secretKeyRef).toEqual({
      name: 'ok-ingest',
      key: 'password',
    });
    const sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'ok'));
        return s?.status?.phase && s;
      },
      { what: 'ok: status' },
    );
    expect(sp.status.phase).toBe('Provisioning');

    // Authentication off again → the KafkaUsers are pruned; NetworkPolicies off → pruned too.
    await mergePatch(rest, spPath(ns, 'ok'), {
      spec: { kafka: { authentication: 'none' }, networkPolicies: { enabled: false } },
    });
    await waitFor(
      async () =>
        (await get(rest, objectPath('kafka.strimzi.io/v1beta2', 'kafkausers', ns, 'ok-ingest'))) === undefined,
      { what: 'KafkaUsers pruned' },
    );
    await waitFor(
      async () =>
        (await get(rest, objectPath('networking.k8s.io/v1', 'networkpolicies', ns, 'ok-default-deny'))) === undefined,
      { what: 'NetworkPolicies pruned' },
    );
  });
});
