/**
 * Autoscaler reaction times, against the real local Kafka and kube-apiserver, the operator in-process
 * (its lag reads go to the local Kafka through the salespipeline.io/kafka-bootstrap annotation):
 *  - scale-up: a backlog over the threshold acknowledged by Kafka → the processor Deployment's
 *    spec.replicas written (target ≤ 10 s; KEDA's defaults give 15–45 s);
 *  - scale-down: the group's offsets caught up (committed to the end) → spec.replicas written lower,
 *    reported raw and minus the configured stabilization window. The window runs from the last
 *    over-threshold observation, which precedes the drain by up to one polling interval, so the
 *    figure beyond the window lies within ± one polling interval.
 * Repeated RUNS times with the default polling interval (5 s) unless POLLING_SECONDS says otherwise.
 * Run: npx tsx bench/autoscaler.bench.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, createLogger, ensureTopics, topicsOf } from '@salespipeline/shared';
import { testInfra } from '@salespipeline/shared/testing';
import { kafkaBootstrapAnnotation } from '@salespipeline/cdk8s';
import { objectPath } from '@salespipeline/operator';
import {
  createNamespace,
  createSp,
  deleteNamespace,
  installCrds,
  lagScaledSpec,
  testOperator,
  testRest,
} from '@salespipeline/operator/testing';
import { quantile, writeResult } from './results.js';

const RUNS = Number(process.env.RUNS ?? 5);
const POLLING_SECONDS = Number(process.env.POLLING_SECONDS ?? 5);
const WINDOW_SECONDS = Number(process.env.WINDOW_SECONDS ?? 15);
const PARTITIONS = 6;
const THRESHOLD = 100;
const BACKLOG = 1000; // → ceil(1000 / 100) = 10, capped at 6 partitions

const infra = testInfra();
const kafka = createKafka(infra, createLogger('autoscaler-bench', 'warn'));
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const topic = `bench-orders-${suffix}`;
const group = `bench-group-${suffix}`;

const rest = testRest();
await installCrds(rest);
const ns = await createNamespace(rest, 'bench-autoscale');
const operator = testOperator(ns, { RESYNC_SECONDS: '300' });
await ensureTopics(kafka, topic, { partitions: PARTITIONS });
const admin = kafka.admin();
await admin.connect();
const reader = kafka.admin();
await reader.connect();
const producer = kafka.producer();
await producer.connect();

const deployment = objectPath('apps/v1', 'deployments', ns, 'bench-processor');
const replicas = async () =>
  (await rest.request<{ spec: { replicas: number } }>('GET', deployment).catch(() => undefined))?.spec.replicas;
async function until(pred: (r: number | undefined) => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pred(await replicas())) return performance.now();
    await sleep(20);
  }
  throw new Error('timed out waiting for the processor replicas');
}

try {
  await createSp(
    rest,
    ns,
    'bench',
    lagScaledSpec({
      topic,
      group,
      lagThreshold: THRESHOLD,
      pollingSeconds: POLLING_SECONDS,
      scaleDown: { stabilizationSeconds: WINDOW_SECONDS, step: PARTITIONS },
    }),
    { [kafkaBootstrapAnnotation]: infra.kafkaBrokers.join(',') },
  );
  await until((r) => r === 1, 30_000);
  // A first full window of idle observations, so the first scale-down is not held by the warm-up.
  await sleep((WINDOW_SECONDS + POLLING_SECONDS) * 1000);

  const up: number[] = [];
  const downRaw: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Start at a random point of the polling cycle.
    await sleep(Math.random() * POLLING_SECONDS * 1000);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: BACKLOG }, (_, i) => ({ value: `m${run}-${i}`, partition: i % PARTITIONS })),
    });
    const produced = performance.now();
    up.push((await until((r) => r === PARTITIONS, 60_000)) - produced);

    await sleep(Math.random() * POLLING_SECONDS * 1000);
    const ends = await admin.fetchTopicOffsets(topic);
    // kafkajs' setOffsets joins the group, commits, then leaves (seconds): the drain is the moment the
    // committed offsets are visible to a reader, watched here the way the autoscaler reads them.
    const setting = admin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
    let drained = 0;
    while (!drained) {
      const [committed] = await reader.fetchOffsets({ groupId: group, topics: [topic] });
      const done = ends.every((e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
      if (done) drained = performance.now();
      else await sleep(10);
    }
    await setting;
    downRaw.push((await until((r) => r !== undefined && r < PARTITIONS, 120_000)) - drained);
    await until((r) => r === 1, 60_000);
  }
  const down = downRaw.map((ms) => ms - WINDOW_SECONDS * 1000);
  const decisions = (await operator.registry.getSingleMetric('salespipeline_autoscaler_decisions_total')!.get()).values;
  writeResult(
    'autoscaler',
    {
      kafka: 'local Kafka 3.9 (KRaft), one broker',
      apiserver: 'local kube-apiserver v1.35.4 + etcd',
      runs: RUNS,
      partitions: PARTITIONS,
      lagThreshold: THRESHOLD,
      backlog: BACKLOG,
      pollingSeconds: POLLING_SECONDS,
      scaleDownStabilizationSeconds: WINDOW_SECONDS,
      scaleDownStep: PARTITIONS,
      drain: 'group offsets committed to the log end (admin setOffsets), as the processor commits them',
      decisions: decisions.map((v) => ({ ...v.labels, count: v.value })),
    },
    {
      scale_up_p50_s: { value: quantile(up, 0.5) / 1000, unit: 's', target: '≤ 10 (KEDA defaults: 15–45)' },
      scale_up_max_s: { value: Math.max(...up) / 1000, unit: 's', target: '≤ 10' },
      scale_down_p50_s_beyond_window: { value: quantile(down, 0.5) / 1000, unit: 's', target: '± polling interval' },
      scale_down_max_s_beyond_window: { value: Math.max(...down) / 1000, unit: 's', target: '± polling interval' },
      scale_down_p50_s_raw: { value: quantile(downRaw, 0.5) / 1000, unit: 's' },
      scale_down_max_s_raw: { value: Math.max(...downRaw) / 1000, unit: 's' },
      stabilization_window_s: { value: WINDOW_SECONDS, unit: 's' },
    },
  );
} finally {
  await producer.disconnect();
  await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
  await reader.disconnect();
  await operator.stop();
  await deleteNamespace(rest, ns);
}
