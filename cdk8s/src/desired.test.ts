import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SalesPipeline, SalesPipelineSpecInput } from './api/schema.js';
import { desiredState, InvalidSpecError, type KubeObject } from './desired.js';
import { labels } from './kinds.js';

const sp = (spec: SalesPipelineSpecInput = {}, name = 'demo', namespace = 'shop'): SalesPipeline => ({
  apiVersion: 'salespipeline.io/v1alpha1',
  kind: 'SalesPipeline',
  metadata: { name, namespace, uid: '6f1c7d0e-1111-4222-8333-944455556666' },
  spec,
});
const creds = { rootPassword: 'root-Secret-456', processorPassword: 'pw-Proc-123', dashboardPassword: 'pw-Dash-789' };
const find = (objs: KubeObject[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found as KubeObject & { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const containers = (o: { spec: Record<string, any> }) => o.spec.template.spec.containers as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('desiredState', () => {
  it('renders the defaults (snapshot)', () => {
    const objs = desiredState(sp(), { mysqlCredentials: creds });
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toMatchSnapshot('objects');
    expect(objs).toMatchSnapshot('full');
  });

  it('renders monitoring only when enabled', () => {
    const off = desiredState(sp(), { mysqlCredentials: creds });
    expect(off.some((o) => o.kind === 'ServiceMonitor' || o.kind === 'ConfigMap')).toBe(false);
    const on = desiredState(
      sp({ monitoring: { serviceMonitor: { enabled: true }, grafanaDashboards: { enabled: true } } }),
      {
        mysqlCredentials: creds,
      },
    );
    expect(find(on, 'ServiceMonitor', 'demo').spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s' },
      { port: 'ops', path: '/metrics', interval: '30s' },
    ]);
    const cm = find(on, 'ConfigMap', 'demo-grafana-dashboards') as unknown as KubeObject & {
      data: Record<string, string>;
    };
    expect(JSON.parse(cm.data['salespipeline.json']!).panels.length).toBeGreaterThan(0);
  });

  it('wires the apps to Strimzi, K8ssandra and MySQL names', () => {
    const objs = desiredState(sp({ cassandra: { clusterName: 'sales', datacenter: { name: 'eu1' } } }), {
      mysqlCredentials: creds,
    });
    const env = Object.fromEntries(
      containers(find(objs, 'Deployment', 'demo-processor'))[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    expect(env.KAFKA_BROKERS).toBe('demo-kafka-bootstrap:9092');
    expect(env.CASSANDRA_CONTACT_POINTS).toBe('sales-eu1-service:9042');
    expect(env.CASSANDRA_LOCAL_DC).toBe('eu1');
    // The processor logs in with its own role; only the migration uses K8ssandra's superuser.
    expect(env.CASSANDRA_USERNAME).toBe('salespipeline_processor');
    expect(env.CASSANDRA_PASSWORD).toEqual({
      secretKeyRef: { name: 'demo-cassandra-roles', key: 'processor-password' },
    });
    expect(env.MYSQL_URL).toEqual({ secretKeyRef: { name: 'demo-mysql-url', key: 'processor-url' } });
    const init = find(objs, 'Deployment', 'demo-processor').spec.template.spec.initContainers;
    expect(init[0].args).toEqual(['migrate']);
    const initEnv = Object.fromEntries(init[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(initEnv.CASSANDRA_PASSWORD).toEqual({ secretKeyRef: { name: 'sales-superuser', key: 'password' } });
    const url = find(objs, 'Secret', 'demo-mysql-url') as unknown as KubeObject & { data: Record<string, string> };
    expect(Buffer.from(url.data['processor-url']!, 'base64').toString()).toBe(
      'mysql://processor:pw-Proc-123@demo-mysql.shop.svc:3306/salespipeline',
    );
    expect(find(objs, 'KafkaTopic', 'demo-orders-dlq').spec.topicName).toBe('orders.dlq');
  });

  it('uses an existing MySQL secret instead of generating one', () => {
    const objs = desiredState(sp({ mysql: { existingSecret: 'my-db' } }), { mysqlCredentials: creds });
    expect(objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'demo-mysql')).toBe(false);
    const env = containers(find(objs, 'StatefulSet', 'demo-mysql'))[0].env;
    expect(env).toContainEqual({
      name: 'MYSQL_ROOT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'my-db', key: 'root-password' } },
    });
  });

  it('rejects invalid specs with every reason', () => {
    expect.assertions(2);
    try {
      desiredState(sp({ processor: { minReplicas: 5, maxReplicas: 2 }, kafka: { replicas: 0 } } as never), {
        mysqlCredentials: creds,
      });
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSpecError);
      expect((err as InvalidSpecError).problems.join('\n')).toMatch(/kafka\.replicas/);
    }
  });
});

// Properties over arbitrary valid specs and names.
const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/);
const arbSpec = fc
  .record({
    partitions: fc.integer({ min: 1, max: 1000 }),
    min: fc.integer({ min: 1, max: 100 }),
    span: fc.integer({ min: 0, max: 100 }),
    observed: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
    kafkaReplicas: fc.integer({ min: 1, max: 15 }),
    ingestReplicas: fc.integer({ min: 0, max: 100 }),
    dashboard: fc.boolean(),
    monitoring: fc.boolean(),
    deletionPolicy: fc.constantFrom('Retain' as const, 'Delete' as const),
    existingSecret: fc.option(dnsName, { nil: undefined }),
  })
  .filter((r) => Math.min(100, r.min + r.span) <= r.partitions);

describe('processor autoscaling', () => {
  it('builtin (default): replicas from the autoscaler, the consumer group in the env, no ScaledObject', () => {
    const objs = desiredState(sp({ processor: { autoscaling: { consumerGroup: 'g1' } } }), {
      mysqlCredentials: creds,
      processorReplicas: 4,
    });
    const processor = find(objs, 'Deployment', 'demo-processor');
    expect(processor.spec.replicas).toBe(4);
    expect(containers(processor)[0].env).toContainEqual({ name: 'PROCESSOR_GROUP_ID', value: 'g1' });
    expect(objs.some((o) => o.kind === 'ScaledObject')).toBe(false);
  });

  it('keda: a ScaledObject with the Kafka trigger, and no replicas in the Deployment', () => {
    const objs = desiredState(
      sp({
        kafka: { topics: { name: 'sales', partitions: 4 } },
        processor: {
          minReplicas: 2,
          maxReplicas: 4,
          lagThreshold: 500,
          autoscaling: { mode: 'keda', pollingSeconds: 7, scaleDown: { stabilizationSeconds: 90, step: 2 } },
        },
      }),
      { mysqlCredentials: creds, processorReplicas: 3 },
    );
    expect('replicas' in find(objs, 'Deployment', 'demo-processor').spec).toBe(false);
    const so = find(objs, 'ScaledObject', 'demo-processor');
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    expect(so.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'demo-processor' },
      minReplicaCount: 2,
      maxReplicaCount: 4,
      pollingInterval: 7,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: { stabilizationWindowSeconds: 90, policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] },
          },
        },
      },
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'demo-kafka-bootstrap.shop.svc:9092',
            consumerGroup: 'salespipeline-processor',
            topic: 'sales',
            lagThreshold: '500',
            allowIdleConsumers: 'false',
          },
        },
      ],
    });
  });
});

describe('desiredState properties', () => {
  it('every object: owner ref, labels, namespace, short names, bounded replicas, no secret in plain env', () => {
    fc.assert(
      fc.property(dnsName, dnsName, arbSpec, (name, namespace, r) => {
        const maxReplicas = Math.min(100, r.min + r.span);
        const spec: SalesPipelineSpecInput = {
          deletionPolicy: r.deletionPolicy,
          kafka: { replicas: r.kafkaReplicas, topics: { partitions: r.partitions } },
          processor: { minReplicas: r.min, maxReplicas },
          ingest: { replicas: r.ingestReplicas },
          dashboard: { enabled: r.dashboard },
          monitoring: { serviceMonitor: { enabled: r.monitoring } },
          ...(r.existingSecret ? { mysql: { existingSecret: r.existingSecret } } : {}),
        };
        const objs = desiredState(sp(spec, name, namespace), {
          mysqlCredentials: creds,
          ...(r.observed === undefined ? {} : { processorReplicas: r.observed }),
        });
        for (const o of objs) {
          expect(o.metadata.namespace).toBe(namespace);
          expect(o.metadata.name.length).toBeLessThanOrEqual(63);
          expect(o.metadata.ownerReferences).toEqual([
            expect.objectContaining({ name, controller: true, kind: 'SalesPipeline' }),
          ]);
          expect(o.metadata.labels?.[labels.instance]).toBe(name);
          expect(o.metadata.labels?.[labels.managedBy]).toBe('salespipeline-operator');
          const json = JSON.stringify(o);
          if (o.kind !== 'Secret') {
            for (const pw of Object.values(creds)) expect(json).not.toContain(pw);
          }
        }
        const processor = find(objs, 'Deployment', `${name}-processor`);
        expect(processor.spec.replicas).toBeGreaterThanOrEqual(r.min);
        expect(processor.spec.replicas).toBeLessThanOrEqual(maxReplicas);
        if (r.observed !== undefined)
          expect(processor.spec.replicas).toBe(Math.min(maxReplicas, Math.max(r.min, r.observed)));
        const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
        expect(new Set(names).size).toBe(names.length);
        expect(objs.some((o) => o.kind === 'ServiceMonitor')).toBe(r.monitoring);
        expect(objs.some((o) => o.metadata.name === `${name}-dashboard`)).toBe(r.dashboard);
      }),
      { numRuns: 60 },
    );
  });
});
