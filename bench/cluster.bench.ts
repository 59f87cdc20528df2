/**
 * The platform on the local real node (scripts/infra/node.sh), as a user meets it: `helm install` of
 * the operator, `kubectl apply` of a SalesPipeline (Kafka and Cassandra external, MySQL a MariaDB
 * StatefulSet), orders through the ingest Service (port-forward) plus a burst straight into Kafka that
 * makes the autoscaler add processors, then every accepted order counted. Figures: seconds from
 * `helm install` to the operator Ready and from apply to phase Ready, accepted vs counted (exact: 1
 * when equal and no duplicate), processor pods at peak, pod start time (created → Ready).
 * Run: npx tsx bench/cluster.bench.ts (BENCH_CLUSTER_ORDERS (5000) via ingest, BENCH_CLUSTER_BURST (30000)).
 */
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { ingestApiKeys, names } from '@salespipeline/cdk8s';
import { expectedAggregates, mapDiff, produceOrders, testInfra, uniqueName } from '@salespipeline/shared/testing';
import { LocalCluster, ordersFor, postOrders, waitForStored } from '@salespipeline/operator/testing/cluster';
import { deleteNamespace, installCrds, testRest, waitFor } from '@salespipeline/operator/testing';
import { quantile, writeResult } from './results.js';

const ORDERS = Number(process.env.BENCH_CLUSTER_ORDERS ?? 5000);
const BURST = Number(process.env.BENCH_CLUSTER_BURST ?? 30000);
const PARTITIONS = 4;
const rest = testRest();
const cluster = new LocalCluster(rest);
const infra = testInfra();
const run = `bench${Date.now().toString(36)}`;
const opNs = `${run}-system`;
const spNs = `${run}-shop`;
const spName = 'shop';
const topic = uniqueName('bench_orders').replace(/_/g, '-');
const seconds = (from: number) => (performance.now() - from) / 1000;
const cql = new cassandra.Client({
  contactPoints: infra.cassandraContactPoints,
  localDataCenter: infra.cassandraLocalDc,
});
const stops: Array<() => void> = [];

try {
  await cluster.start(topic, PARTITIONS);
  await cql.connect();
  await installCrds(rest);
  await cluster.createNamespace(spNs);

  let start = performance.now();
  await cluster.helmInstall(run, opNs, spNs);
  const helmToOperatorReady = seconds(start);

  start = performance.now();
  await cluster.applySalesPipeline(
    spNs,
    spName,
    cluster.spec(topic, PARTITIONS, {
      minReplicas: 1,
      maxReplicas: PARTITIONS,
      lagThreshold: 2000,
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      autoscaling: { consumerGroup: `${run}-processor`, pollingSeconds: 2, scaleDown: { stabilizationSeconds: 3600 } },
    }),
  );
  await cluster.waitForPhase(spNs, spName, 'Ready');
  const applyToReady = seconds(start);

  const n = names(spName);
  const key = await cluster.secretValue(spNs, ingestApiKeys.generatedSecret(spName), ingestApiKeys.secretKey);
  const ingest = await cluster.portForward(spNs, n.app('ingest'), 8080);
  stops.push(ingest.stop);
  const viaIngest = ordersFor(`${run}-i`, ORDERS);
  const burst = ordersFor(`${run}-k`, BURST);
  let peak = 0;
  const selector = `app.kubernetes.io/name=processor,app.kubernetes.io/instance=${spName}`;
  const sample = setInterval(() => {
    void cluster.pods(spNs, selector).then((pods) => {
      const ready = pods.filter((p) => p.status.containerStatuses?.every((c: { ready: boolean }) => c.ready)).length;
      peak = Math.max(peak, ready);
    });
  }, 1000);
  const kafka = new Kafka({ clientId: 'bench', brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  start = performance.now();
  await Promise.all([postOrders(ingest.port, key.split(':')[1]!, viaIngest, 500), produceOrders(kafka, topic, burst)]);
  const accepted = [...viaIngest, ...burst];
  const stored = await waitForStored(cql, `${run}-`, accepted.length, 60 * 60_000);
  const drainSeconds = seconds(start);
  const expected = expectedAggregates(accepted);
  const aggregates = await waitFor(
    async () => {
      const a = await cluster.aggregates(spNs, spName);
      return mapDiff(a, expected).length === 0 ? a : undefined;
    },
    { timeoutMs: 10 * 60_000, intervalMs: 3_000, what: 'every order counted' },
  ).catch(() => cluster.aggregates(spNs, spName));
  clearInterval(sample);
  const counted = [...aggregates].filter(([k]) => k.startsWith('total|')).reduce((s, [, t]) => s + t.orders, 0);

  const pods = await cluster.pods(spNs);
  const startSeconds = pods.map((p) => {
    const ready = p.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    return (Date.parse(ready.lastTransitionTime) - Date.parse(p.metadata.creationTimestamp)) / 1000;
  });

  await cluster.helmUninstall(run, opNs);
  writeResult(
    'cluster',
    { ordersViaIngest: ORDERS, burstIntoKafka: BURST, partitions: PARTITIONS, node: cluster.node.SP_NODE_NAME },
    {
      helmInstallToOperatorReady: { value: helmToOperatorReady, unit: 's' },
      applyToPhaseReady: { value: applyToReady, unit: 's' },
      accepted: { value: accepted.length, unit: 'orders' },
      storedInCassandra: { value: stored.size, unit: 'orders' },
      counted: { value: counted, unit: 'orders' },
      exact: {
        value: stored.size === accepted.length && counted === accepted.length ? 1 : 0,
        unit: '1 = equal, no duplicate',
      },
      drained: { value: drainSeconds, unit: 's (first order sent → all in Cassandra)' },
      processorPodsAtPeak: { value: peak, unit: 'pods' },
      podStartP50: { value: quantile(startSeconds, 0.5), unit: 's (created → Ready)' },
      podStartMax: { value: Math.max(...startSeconds), unit: 's' },
    },
  );
} finally {
  for (const stop of stops) stop();
  await cql.shutdown();
  for (const ns of [spNs, opNs]) await deleteNamespace(rest, ns);
  await cluster.stop();
}
