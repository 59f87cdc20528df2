/**
 * The local real node for the end-to-end test and the cluster benchmark (@salespipeline/operator/testing/cluster): starts it (node.sh), builds
 * and imports the images, installs the chart, applies SalesPipelines whose pods run there (Kafka and
 * Cassandra external: the local services bridged into the node; MySQL: the MariaDB image built here),
 * and reaches their Services with `kubectl port-forward`, as a user would.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type cassandra from 'cassandra-driver';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import { topicPlan, type AcceptedOrder } from '@salespipeline/shared';
import { orderArbitrary, readAggregates, readRawOrders, testInfra } from '@salespipeline/shared/testing';
import { mysqlUrlKeys, names, type SalesPipelineSpecInput } from '@salespipeline/cdk8s';
import type { KubeRest } from '../kube/rest.js';
import { get, ok, run, spPath, waitFor } from './index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The repository (operator/src/testing or operator/dist/testing, three levels down). */
const repo = join(import.meta.dirname, '..', '..', '..');
const script = (path: string) => join(repo, 'scripts', path);
const chart = join(repo, 'charts', 'salespipeline-operator');
/** The MySQL image of a SalesPipeline on the local node (scripts/images.sh builds it). */
export const localMysqlImage = 'salespipeline.local/mariadb:10.11';

export class LocalCluster {
  /** node.sh env: SP_NODE_NAME, SP_NODE_IP, SP_NODE_TAINT, SP_NODE_LABEL, SP_NODE_KAFKA, … */
  readonly node: Record<string, string> = {};
  kubectl = '';
  helm = '';
  private nodeWasRunning = false;

  constructor(private readonly rest: KubeRest) {}

  /** Starts the node (if needed), builds and imports the images, creates the topic and its DLQ and late topics. */
  async start(topic: string, partitions: number): Promise<void> {
    for (const line of (await ok(script('infra/node.sh'), ['env'])).split('\n')) {
      const [k, ...v] = line.split('=');
      if (k && v.length) this.node[k] = v.join('=');
    }
    const bin = (await ok(script('infra/kube.sh'), ['bin-dir'])).trim();
    this.kubectl = join(bin, 'kubectl');
    this.helm = join(bin, 'helm');
    this.nodeWasRunning = (await run(script('infra/node.sh'), ['status'])).stdout.includes('kubelet          running');
    await ok(script('infra/node.sh'), ['start']);
    await ok(script('images.sh'), []);
    for (const { name, partitions: count } of topicPlan(topic, partitions))
      await ok(script('infra/kafka.sh'), ['topics-create', name, String(count)]);
  }

  /** Stops the node unless it was running before start(). */
  async stop(): Promise<void> {
    if (this.kubectl && !this.nodeWasRunning) await run(script('infra/node.sh'), ['stop']);
  }

  /** What every pod needs to run on the real node: its label selected, its taint tolerated. */
  placement(): NonNullable<SalesPipelineSpecInput['placement']> {
    const [labelKey, labelValue] = this.node.SP_NODE_LABEL!.split('=') as [string, string];
    const [taintKey, taintRest] = this.node.SP_NODE_TAINT!.split('=') as [string, string];
    const [taintValue] = taintRest.split(':') as [string];
    return {
      nodeSelector: { [labelKey]: labelValue },
      tolerations: [{ key: taintKey, operator: 'Equal', value: taintValue, effect: 'NoSchedule' }],
    };
  }

  /** A small SalesPipeline on the node: Kafka and Cassandra external, MySQL managed on a local volume. */
  spec(topic: string, partitions: number, processor: SalesPipelineSpecInput['processor'] = {}): SalesPipelineSpecInput {
    return {
      deletionPolicy: 'Delete',
      kafka: { external: { bootstrapServers: [this.node.SP_NODE_KAFKA!] }, topics: { name: topic, partitions } },
      cassandra: {
        external: {
          contactPoints: [this.node.SP_NODE_CASSANDRA!],
          localDatacenter: testInfra().cassandraLocalDc,
          replicationFactor: 1, // the one local node
        },
      },
      mysql: { image: localMysqlImage, storage: { size: '1Gi', storageClassName: this.node.SP_NODE_STORAGE_CLASS! } },
      ingest: { replicas: 1, resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } } },
      processor,
      dashboard: { replicas: 1 },
      placement: this.placement(),
    };
  }

  /** The namespace of a pipeline, under Pod Security `restricted`. */
  async createNamespace(name: string): Promise<void> {
    await this.rest.request('POST', '/api/v1/namespaces', {
      body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    });
  }

  /** `helm install --wait` of the chart, the operator on the node, watching one namespace. */
  async helmInstall(release: string, namespace: string, watchNamespace: string): Promise<void> {
    const { nodeSelector, tolerations } = this.placement();
    await ok(this.helm, [
      ...['install', release, chart, '--namespace', namespace, '--create-namespace', '--wait', '--timeout', '15m'],
      ...['--set', `watchNamespace=${watchNamespace}`],
      ...['--set-json', `tolerations=${JSON.stringify(tolerations)}`],
      ...['--set-json', `nodeSelector=${JSON.stringify(nodeSelector)}`],
    ]);
  }

  async helmUninstall(release: string, namespace: string): Promise<void> {
    await ok(this.helm, ['uninstall', release, '--namespace', namespace, '--wait', '--timeout', '15m']);
  }

  /** `kubectl apply`, as a user applies a SalesPipeline. */
  async applySalesPipeline(namespace: string, name: string, spec: SalesPipelineSpecInput): Promise<void> {
    const manifest = { apiVersion: 'salespipeline.io/v1alpha1', kind: 'SalesPipeline', metadata: { name }, spec };
    await ok(this.kubectl, ['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify(manifest) });
  }

  salesPipeline(namespace: string, name: string) {
    return get<any>(this.rest, spPath(namespace, name));
  }

  async waitForPhase(namespace: string, name: string, phase: string): Promise<void> {
    await waitFor(async () => (await this.salesPipeline(namespace, name))?.status?.phase === phase, {
      timeoutMs: 20 * 60_000,
      intervalMs: 1_000,
      what: `SalesPipeline ${namespace}/${name} phase ${phase}`,
    });
  }

  async pods(namespace: string, selector = ''): Promise<any[]> {
    const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
    return (await get<{ items: any[] }>(this.rest, `/api/v1/namespaces/${namespace}/pods${query}`))!.items;
  }

  async secretValue(namespace: string, name: string, key: string): Promise<string> {
    const s = await get<{ data: Record<string, string> }>(this.rest, `/api/v1/namespaces/${namespace}/secrets/${name}`);
    if (!s?.data?.[key]) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
    return Buffer.from(s.data[key], 'base64').toString('utf8');
  }

  /** `kubectl port-forward` to a Service: the local port, and a stop function. */
  async portForward(namespace: string, service: string, port: number): Promise<{ port: number; stop: () => void }> {
    const child = spawn(
      this.kubectl,
      ['port-forward', '-n', namespace, `svc/${service}`, `:${port}`, '--address', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const local = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`port-forward to ${service} exited ${code}: ${stderr}`)));
    });
    return { port: local, stop: () => child.kill('SIGTERM') };
  }

  /** The aggregates in a pipeline's own MySQL (the StatefulSet), read as the dashboard's user. */
  async aggregates(namespace: string, sp: string) {
    const n = names(sp);
    const fwd = await this.portForward(namespace, n.mysql, 3306);
    try {
      const url = new URL(await this.secretValue(namespace, n.mysqlUrlSecret, mysqlUrlKeys.dashboard));
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
}

/** Valid orders with ids `<prefix>-<i>`, created in the last minutes (the dashboard's ranges hold them). */
export function ordersFor(prefix: string, count: number): AcceptedOrder[] {
  const now = Date.now();
  return fc
    .sample(orderArbitrary({ minTime: now - 10 * 60_000, maxTime: now }), count)
    .map((o, i) => ({ ...o, order_id: `${prefix}-${i}` }));
}

/** Posts orders to the ingest API in batches; every batch must be accepted (202). */
export async function postOrders(port: number, apiKey: string, list: AcceptedOrder[], batch = 50): Promise<void> {
  for (let i = 0; i < list.length; i += batch) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ orders: list.slice(i, i + batch) }),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
}

/** The orders in Cassandra (the processor's default keyspace) whose id starts with `prefix`. */
export async function storedOrders(cql: cassandra.Client, prefix: string): Promise<Map<string, AcceptedOrder>> {
  return readRawOrders(cql, 'salespipeline', prefix);
}

/** Waits until Cassandra holds at least `count` orders whose id starts with `prefix`; returns them. */
export function waitForStored(cql: cassandra.Client, prefix: string, count: number, timeoutMs = 20 * 60_000) {
  return waitFor(
    async () => {
      const s = await storedOrders(cql, prefix);
      return s.size >= count ? s : undefined;
    },
    { timeoutMs, intervalMs: 2_000, what: `${count} orders in Cassandra` },
  );
}
