/**
 * The processor autoscaler end to end: the operator in-process against the real kube-apiserver, the
 * lag read from the real local Kafka (salespipeline.io/kafka-bootstrap annotation), the backlog
 * drained by the real processor in-process against the same Kafka, MySQL and Cassandra. KEDA mode
 * against KEDA's real ScaledObject CRD.
 */
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { RowDataPacket } from 'mysql2';
import {
  createKafka,
  createLogger,
  createMysqlPool,
  createCassandraClient,
  ensureTopics,
  loadConfig,
  topicsOf,
} from '@salespipeline/shared';
import { orderArbitrary, testInfra, waitFor } from '@salespipeline/shared/testing';
import { kafkaBootstrapAnnotation } from '@salespipeline/cdk8s';
import { collectionPath, objectPath, type KubeRest, type Operator } from '@salespipeline/operator';
import { processorSpec, startProcessor, type RunningProcessor } from '@salespipeline/processor/testing';
import {
  createSp,
  lagScaledSpec,
  get,
  mergePatch,
  setUpNamespace,
  spPath,
  tearDownNamespace,
  testOperator,
} from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
jest.setTimeout(170_000);

const PARTITIONS = 3;
const THRESHOLD = 20;
const WINDOW_S = 4;
const PERIOD_S = 5;
const ORDERS = 300;

const infra = testInfra();
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const topic = `as-orders-${suffix}`;
const group = `as-group-${suffix}`;
const database = `sp_test_autoscale_${suffix.replace(/-/g, '_')}`;
const keyspace = `sp_autoscale_${suffix.replace(/-/g, '_')}`;
const kafka = createKafka(infra, createLogger('autoscaler-test', 'warn'));

let rest: KubeRest;
let ns: string;
let operator: Operator;
const processors: RunningProcessor[] = [];
/** Every spec.replicas the processor Deployment had, in the apiserver's order (a watch). */
const seen: Array<{ replicas: number }> = [];
const stopWatching = new AbortController();

const processorPath = (name: string) => objectPath('apps/v1', 'deployments', ns, `${name}-processor`);
const replicasOf = async (name: string) => (await get(rest, processorPath(name)))?.spec?.replicas as number | undefined;
const waitReplicas = (name: string, n: number, timeoutMs = 30_000) =>
  waitFor(async () => (await replicasOf(name)) === n, {
    what: `${name}-processor replicas ${n}`,
    timeoutMs,
    intervalMs: 100,
  });
const events = async (reason: string) =>
  (await rest.request<any>('GET', `/api/v1/namespaces/${ns}/events`)).items.filter(
    (e: any) => e.reason === reason && e.involvedObject.name === 'auto',
  );
const mysqlUrl = () => {
  const url = new URL(infra.mysqlUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

async function produce(n: number, prefix: string): Promise<void> {
  const orders = fc.sample(orderArbitrary({ idPrefix: `${prefix}-` }), n * 2);
  const unique = [...new Map(orders.map((o) => [o.order_id, o])).values()].slice(0, n);
  expect(unique).toHaveLength(n);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // Spread over the partitions evenly (explicit partition), like a keyed load does.
  await producer.send({
    topic,
    acks: -1,
    messages: unique.map((o, i) => ({ key: o.order_id, value: JSON.stringify(o), partition: i % PARTITIONS })),
  });
  await producer.disconnect();
}

async function startOneProcessor(): Promise<RunningProcessor> {
  const config = loadConfig(processorSpec, {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
    MYSQL_URL: mysqlUrl(),
    ORDERS_TOPIC: topic,
    CASSANDRA_KEYSPACE: keyspace,
    PROCESSOR_GROUP_ID: group,
    PROCESSOR_OPS_PORT: '0',
    PROCESSOR_OPS_HOST: '127.0.0.1',
    PROCESSOR_MAX_BATCH: '20',
  });
  const p = await startProcessor(config, { logger: createLogger('processor', 'warn') });
  processors.push(p);
  return p;
}

beforeAll(async () => {
  ({ rest, ns } = await setUpNamespace('autoscale'));
  await ensureTopics(kafka, topic, { partitions: PARTITIONS });
  const pool = createMysqlPool(infra, { connectionLimit: 1 });
  await pool.query(`CREATE DATABASE ${database}`);
  await pool.end();
  operator = testOperator(ns, { AUTOSCALER_STATUS_SECONDS: '1' });
  void watchProcessorReplicas('auto');
});

/** Records spec.replicas of NAME-processor as the apiserver changes it (polled reads may land out of order). */
async function watchProcessorReplicas(name: string): Promise<void> {
  let resourceVersion: string | undefined;
  while (!stopWatching.signal.aborted) {
    await rest
      .watch<any>(
        collectionPath('apps/v1', 'deployments', ns),
        { fieldSelector: `metadata.name=${name}-processor`, ...(resourceVersion ? { resourceVersion } : {}) },
        (e) => {
          if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
          resourceVersion = e.object.metadata.resourceVersion;
          const replicas = e.object.spec?.replicas as number | undefined;
          if (replicas !== undefined && seen.at(-1)?.replicas !== replicas) seen.push({ replicas });
        },
        stopWatching.signal,
      )
      .catch(() => setTimeout(200));
  }
}

afterAll(async () => {
  stopWatching.abort();
  await Promise.all(processors.map((p) => p.stop().catch(() => undefined)));
  await tearDownNamespace(rest, ns, [operator]);
  const pool = createMysqlPool(infra, { connectionLimit: 1 });
  await pool.query(`DROP DATABASE IF EXISTS ${database}`);
  await pool.end();
  const cass = createCassandraClient(infra);
  await cass.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await cass.shutdown();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
});

describe('processor autoscaling from consumer lag (real Kafka, real apiserver)', () => {
  it('idle → minReplicas; a backlog → up at once, never above the partitions', async () => {
    await createSp(
      rest,
      ns,
      'auto',
      // The CRD's 12 partitions; the real topic has 3: the cap is the real count.
      lagScaledSpec({
        topic,
        group,
        lagThreshold: THRESHOLD,
        pollingSeconds: 1,
        // Steps down far enough apart that the Deployment follows each one (its reconcile applies the
        // decision of the moment it runs).
        scaleDown: { stabilizationSeconds: WINDOW_S, step: 1, periodSeconds: PERIOD_S },
      }),
      { [kafkaBootstrapAnnotation]: infra.kafkaBrokers.join(',') },
    );
    await waitFor(async () => (await get(rest, spPath(ns, 'auto')))?.status?.autoscaling?.partitions === PARTITIONS, {
      what: 'status.autoscaling',
    });
    // The autoscaler writes its status, the reconcile applies the Deployment: either may come first.
    await waitReplicas('auto', 1);

    await produce(ORDERS, 'a');
    await waitReplicas('auto', PARTITIONS);
    const sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'auto'));
        return (
          s?.status?.autoscaling?.desiredReplicas === PARTITIONS && s?.status?.autoscaling?.totalLag === ORDERS && s
        );
      },
      { what: 'status after scale-up' },
    );
    expect(sp.status.autoscaling).toMatchObject({
      mode: 'builtin',
      partitions: PARTITIONS,
      totalLag: ORDERS,
      maxLag: ORDERS / PARTITIONS,
      laggingPartitions: PARTITIONS,
      stuckPartitions: [],
      lag: '0=100 1=100 2=100',
      desiredReplicas: PARTITIONS,
      lastDecision: { direction: 'up', from: 1, to: PARTITIONS },
    });
    // The decision may see the backlog part-way through the broker's appends (one produce request still lands
    // partition by partition); any partition's 100 already asks for more than the cap.
    const decided = /^LagAboveThreshold: lag (\d+) \/ threshold 20 → 3 replicas/.exec(
      sp.status.autoscaling.lastDecision.reason,
    );
    expect([100, 200, 300]).toContain(Number(decided?.[1]));
    expect((await events('ProcessorScaledUp')).length).toBeGreaterThan(0);
    // Status fields of the autoscaler are its own: the reconciler's status apply does not own them.
    const managers = sp.metadata.managedFields.filter((m: any) => m.subresource === 'status');
    const owner = (name: string) => JSON.stringify(managers.find((m: any) => m.manager === name)?.fieldsV1 ?? {});
    expect(owner('salespipeline-operator-autoscaler')).toContain('f:autoscaling');
    expect(owner('salespipeline-operator')).not.toContain('f:autoscaling');
    // Metrics.
    const metrics = await operator.registry.metrics();
    expect(metrics).toMatch(
      new RegExp(`salespipeline_processor_lag\\{salespipeline="${ns}/auto",partition="0"[^}]*\\} 100`),
    );
    expect(metrics).toMatch(/salespipeline_processor_replicas_desired\{[^}]*\} 3/);
    expect(metrics).toMatch(/salespipeline_autoscaler_decisions_total\{[^}]*direction="up"[^}]*\} 1/);
  });

  it('spec changes of min/max are respected at once', async () => {
    await mergePatch(rest, spPath(ns, 'auto'), { spec: { processor: { maxReplicas: 2 } } });
    await waitReplicas('auto', 2);
    await setTimeout(2_000);
    expect(await replicasOf('auto')).toBe(2); // the lag would want 3: the max holds
    await mergePatch(rest, spPath(ns, 'auto'), { spec: { processor: { maxReplicas: 6 } } });
    await waitReplicas('auto', PARTITIONS);
  });

  it('drained by the real processor (two instances, rebalancing) → down after the window, one step at a time; nothing lost or double counted', async () => {
    await startOneProcessor();
    await startOneProcessor(); // a second member: the group rebalances while the backlog drains
    await waitFor(
      async () => (await get(rest, spPath(ns, 'auto')))?.status?.autoscaling?.totalLag === 0 && Date.now(),
      { what: 'lag drained', timeoutMs: 60_000 },
    );
    await waitReplicas('auto', 1, 60_000);
    await waitFor(() => seen.at(-1)?.replicas === 1, { what: 'the watch sees 1 replica' });
    // One replica per step, never above the partitions. (When the window holds is decideReplicas'
    // unit tests' business, on a fake clock: a busy machine delays polls, not the rule.)
    // The whole history: min 1, up to the 3 partitions, the max of 2 and back, then down step by step.
    expect(seen.map((s) => s.replicas)).toEqual([1, 3, 2, 3, 2, 1]);
    const downs: string[] = (await events('ProcessorScaledDown')).map((e: any) => e.message as string);
    expect(downs.some((m) => /^processor replicas 3 → 2: LagBelowThreshold: .* for 4 s; 3 → 2$/.test(m))).toBe(true);
    expect(downs.some((m) => /^processor replicas 2 → 1: LagBelowThreshold: .* for 4 s; 2 → 1$/.test(m))).toBe(true);

    // The data-plane guarantee held across the rebalances: every order once, in MySQL and in the offsets.
    const pool = createMysqlPool({ mysqlUrl: mysqlUrl() }, { connectionLimit: 1 });
    try {
      const [processed] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_orders');
      const [totals] = await pool.query<RowDataPacket[]>(
        "SELECT SUM(orders) AS n FROM sales_by_minute WHERE dim = 'total'",
      );
      const [offsets] = await pool.query<RowDataPacket[]>(
        'SELECT SUM(next_offset) AS n FROM stream_offsets WHERE topic = ?',
        [topic],
      );
      expect(Number(processed[0]!.n)).toBe(ORDERS);
      expect(Number(totals[0]!.n)).toBe(ORDERS);
      expect(Number(offsets[0]!.n)).toBe(ORDERS);
    } finally {
      await pool.end();
    }
  });

  it('minReplicas raised → up at once, without lag', async () => {
    await mergePatch(rest, spPath(ns, 'auto'), { spec: { processor: { minReplicas: 2 } } });
    await waitReplicas('auto', 2);
    const sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'auto'));
        return s?.status?.autoscaling?.lastDecision?.to === 2 && s;
      },
      { what: 'BelowMinimum decision' },
    );
    expect(sp.status.autoscaling.lastDecision.reason).toMatch(/^BelowMinimum/);
  });

  it('keda mode: a ScaledObject the apiserver accepts with KEDA’s CRD, and no replicas written by the operator', async () => {
    await createSp(rest, ns, 'kd', {
      dashboard: { enabled: false },
      kafka: { topics: { name: topic, partitions: 4 } },
      processor: {
        minReplicas: 1,
        maxReplicas: 4,
        lagThreshold: 50,
        autoscaling: { mode: 'keda', consumerGroup: group },
      },
    });
    const so = await waitFor(() => get(rest, objectPath('keda.sh/v1alpha1', 'scaledobjects', ns, 'kd-processor')), {
      what: 'ScaledObject',
    });
    expect(so.spec).toMatchObject({
      scaleTargetRef: { name: 'kd-processor' },
      minReplicaCount: 1,
      maxReplicaCount: 4,
      triggers: [
        {
          type: 'kafka',
          metadata: expect.objectContaining({
            bootstrapServers: `kd-kafka-bootstrap.${ns}.svc:9092`,
            consumerGroup: group,
            topic,
            lagThreshold: '50',
            allowIdleConsumers: 'false',
          }),
        },
      ],
    });
    // Let the operator and its autoscaler run a few polls.
    await setTimeout(3_000);
    const deploy = await get(rest, processorPath('kd'));
    const ours = deploy.metadata.managedFields.filter((m: any) => m.manager.startsWith('salespipeline-operator'));
    expect(ours.length).toBeGreaterThan(0);
    for (const m of ours) expect(JSON.stringify(m.fieldsV1['f:spec'] ?? {})).not.toContain('f:replicas');
    // KEDA (here: a hand edit through the scale subresource, as its HPA does) owns the count: it stays.
    await rest.request('PATCH', `${processorPath('kd')}/scale`, {
      body: { spec: { replicas: 3 } },
      contentType: 'application/merge-patch+json',
    });
    await mergePatch(rest, spPath(ns, 'kd'), { spec: { ingest: { replicas: 1 } } }); // forces a reconcile
    await waitFor(
      async () => (await get(rest, objectPath('apps/v1', 'deployments', ns, 'kd-ingest')))?.spec.replicas === 1,
      {
        what: 'kd reconciled',
      },
    );
    expect(await replicasOf('kd')).toBe(3);
    const sp = await waitFor(
      async () => {
        const s = await get(rest, spPath(ns, 'kd'));
        return s?.status?.autoscaling?.mode === 'keda' && s;
      },
      { what: 'status.autoscaling.mode keda' },
    );
    expect(sp.status.autoscaling.desiredReplicas).toBeUndefined();

    // Back to builtin: the ScaledObject is pruned and the operator owns the replicas again. It holds
    // the 3 KEDA left until it reads the lag, then scales down by its own rules (here: no window).
    await mergePatch(rest, spPath(ns, 'kd'), {
      metadata: { annotations: { [kafkaBootstrapAnnotation]: infra.kafkaBrokers.join(',') } },
      spec: {
        processor: {
          autoscaling: { mode: 'builtin', scaleDown: { stabilizationSeconds: 0, step: 4, periodSeconds: 1 } },
        },
      },
    });
    await waitFor(
      async () => (await get(rest, objectPath('keda.sh/v1alpha1', 'scaledobjects', ns, 'kd-processor'))) === undefined,
      {
        what: 'ScaledObject pruned',
      },
    );
    await waitReplicas('kd', 1);
  });
});
