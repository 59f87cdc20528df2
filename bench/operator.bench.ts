/**
 * Operator benchmark against the real local kube-apiserver (scripts/infra/kube.sh start):
 *  1. latency: create a SalesPipeline → every child applied (polled with GETs), repeated;
 *  2. throughput: 100 SalesPipelines at once → all children applied; reconciles/s; operator RSS.
 * The operator runs in this process (RSS is the process's). Run: npx tsx bench/operator.bench.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ownedKinds } from '@salespipeline/cdk8s';
import { testKubeconfigPath } from '@salespipeline/shared/testing';
import { collectionPath, loadKubeConfig, KubeRest } from '@salespipeline/operator';
import { createNamespace, createSp, deleteNamespace, installCrds, testOperator } from '@salespipeline/operator/testing';
import { quantile, writeResult } from './results.js';

const LATENCY_RUNS = Number(process.env.LATENCY_RUNS ?? 10);
const COUNT = Number(process.env.SP_COUNT ?? 100);
const rest = new KubeRest(loadKubeConfig(testKubeconfigPath()));
await installCrds(rest);
const ns = await createNamespace(rest, 'bench');
const operator = testOperator(ns, { RESYNC_SECONDS: '300', WORKERS: '4' });
// The local apiserver's Service CIDR is a /24: the dashboard (one more ClusterIP Service) is left out.
const spec = { dashboard: { enabled: false } };
const expectedPerSp = 16; // 2 Secrets, 3 Services, StatefulSet, Kafka, node pool, 3 topics, K8ssandra, 2 Deployments, 2 PDBs

async function childCount(selector: string): Promise<number> {
  const counts = await Promise.all(
    ownedKinds.map(async (k) => {
      const list = await rest.request<{ items: unknown[] }>('GET', collectionPath(k.apiVersion, k.plural, ns), {
        query: { labelSelector: selector },
      });
      return list.items.length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

let maxRss = 0;
const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 100);
try {
  await sleep(500); // caches synced
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const name = `lat-${i}`;
    const start = performance.now();
    await createSp(rest, ns, name, spec);
    while ((await childCount(`app.kubernetes.io/instance=${name}`)) < expectedPerSp) await sleep(10);
    latencies.push(performance.now() - start);
  }
  const rssBefore = process.memoryUsage().rss;
  const reconcilesBefore = await reconciles();
  const start = performance.now();
  await Promise.all(Array.from({ length: COUNT }, (_, i) => createSp(rest, ns, `tp-${i}`, spec)));
  const total = expectedPerSp * (COUNT + LATENCY_RUNS);
  while ((await childCount('app.kubernetes.io/managed-by=salespipeline-operator')) < total) await sleep(100);
  const allAppliedMs = performance.now() - start;
  await sleep(3000); // let status updates settle
  const reconcileCount = (await reconciles()) - reconcilesBefore;
  const elapsedS = (performance.now() - start) / 1000;
  writeResult(
    'operator',
    {
      apiserver: 'local kube-apiserver v1.35.4 + etcd',
      workers: 4,
      latencyRuns: LATENCY_RUNS,
      salesPipelines: COUNT,
      childrenPerSp: expectedPerSp,
    },
    {
      create_to_all_children_p50_ms: { value: quantile(latencies, 0.5), unit: 'ms', target: '≤ 2000' },
      create_to_all_children_max_ms: { value: Math.max(...latencies), unit: 'ms', target: '≤ 2000' },
      hundred_sps_all_children_applied_s: { value: allAppliedMs / 1000, unit: 's' },
      sps_applied_per_s: { value: COUNT / (allAppliedMs / 1000), unit: 'SalesPipelines/s' },
      reconciles_per_s: { value: reconcileCount / elapsedS, unit: 'reconciles/s' },
      rss_before_mib: { value: rssBefore / 2 ** 20, unit: 'MiB' },
      rss_max_mib: { value: maxRss / 2 ** 20, unit: 'MiB', target: 'bounded' },
    },
  );
} finally {
  clearInterval(rssTimer);
  await operator.stop();
  await deleteNamespace(rest, ns);
}

async function reconciles(): Promise<number> {
  const metric = await operator.registry.getSingleMetric('controller_reconcile_total')!.get();
  return metric.values.reduce((n, v) => n + v.value, 0);
}
