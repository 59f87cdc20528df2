import { describe, expect, it } from '@jest/globals';
import { loadConfig, type ConfigSpec } from '@salespipeline/shared';
// The apps' own config specs: what the Deployments set must be what the apps read.
import { dashboardSpec } from '../../../apps/dashboard/src/config.js';
import { ingestSpec } from '../../../apps/ingest/src/config.js';
import { processorSpec } from '../../../apps/processor/src/config.js';
import { desiredState, type KubeObject } from '../desired.js';

interface Container {
  args?: string[];
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports: Array<{ containerPort: number }>;
  readinessProbe: { httpGet: { port: string | number } };
}

const creds = { rootPassword: 'r', processorPassword: 'p', dashboardPassword: 'd' };
const objects = desiredState(
  {
    apiVersion: 'salespipeline.io/v1alpha1',
    kind: 'SalesPipeline',
    metadata: { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
    spec: {},
  },
  { mysqlCredentials: creds },
);

function container(name: string): Container {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as
    (KubeObject & { spec: { template: { spec: { containers: Container[] } } } }) | undefined;
  if (!deployment) throw new Error(`Deployment ${name} not rendered`);
  return deployment.spec.template.spec.containers[0]!;
}

/** The container's environment as the app would see it; values from Secrets stand in as placeholders. */
function environment(c: Container): NodeJS.ProcessEnv {
  const placeholders: Record<string, string> = { MYSQL_URL: 'mysql://u:p@mysql:3306/salespipeline' };
  return Object.fromEntries(c.env.map((e) => [e.name, e.value ?? placeholders[e.name] ?? 'from-a-secret']));
}

describe.each<[string, ConfigSpec, string]>([
  ['shop-ingest', ingestSpec, 'port'],
  ['shop-processor', processorSpec, 'opsPort'],
  ['shop-dashboard', dashboardSpec, 'port'],
])('the %s Deployment', (name, spec, portKey) => {
  it('configures the app: its config loads, and it listens on the port the probes and Service use', () => {
    const c = container(name);
    const config = loadConfig(spec, environment(c)) as Record<string, unknown>;
    expect(config[portKey]).toBe(c.ports[0]!.containerPort);
    expect(c.readinessProbe.httpGet.port).toBe('http');
  });

  it('sets no variable the app does not read', () => {
    const read = new Set(Object.values(spec).map((s) => s.env));
    const unknown = container(name)
      .env.filter((e) => !read.has(e.name))
      .map((e) => e.name);
    expect(unknown).toEqual([]);
  });
});

describe('keyspace replication', () => {
  const replicationFor = (cassandra: object) =>
    desiredState(
      {
        apiVersion: 'salespipeline.io/v1alpha1',
        kind: 'SalesPipeline',
        metadata: { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
        spec: { cassandra },
      },
      { mysqlCredentials: creds },
    )
      .filter((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-processor')
      .flatMap((d) => {
        const pod = (
          d as unknown as { spec: { template: { spec: { containers: Container[]; initContainers: Container[] } } } }
        ).spec.template.spec;
        return [...pod.containers, ...pod.initContainers].map(
          (c) => loadConfig(processorSpec, environment(c)).cassandraReplication,
        );
      });

  it.each([
    [{}, { dc1: 3 }],
    [{ datacenter: { name: 'eu-west', size: 5 } }, { 'eu-west': 3 }],
    [{ datacenter: { name: 'dc1', size: 2 } }, { dc1: 2 }],
    [{ datacenter: { name: 'dc1', size: 1 } }, { dc1: 1 }],
  ])(
    'the processor and its migration create the keyspace with NetworkTopologyStrategy, min(3, nodes): %j',
    (cassandra, datacenters) => {
      expect(replicationFor(cassandra)).toEqual([
        { class: 'NetworkTopologyStrategy', datacenters },
        { class: 'NetworkTopologyStrategy', datacenters },
      ]);
    },
  );
});

describe('ingest API keys', () => {
  const sp = (spec: object) => ({
    apiVersion: 'salespipeline.io/v1alpha1' as const,
    kind: 'SalesPipeline' as const,
    metadata: { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
    spec,
  });
  const keysEnv = (objs: KubeObject[]) =>
    (
      objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-ingest') as unknown as {
        spec: { template: { spec: { containers: Container[] } } };
      }
    ).spec.template.spec.containers[0]!.env.find((e) => e.name === 'INGEST_API_KEYS');

  it('renders the generated key in its own Secret and gives it to ingest from there, never as a literal', () => {
    const objs = desiredState(sp({}), { mysqlCredentials: creds, ingestApiKey: 'generated-key-0123456789' });
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'shop-ingest-api-keys') as
      (KubeObject & { data: Record<string, string> }) | undefined;
    expect(Buffer.from(secret!.data['api-keys']!, 'base64').toString()).toBe('operator:generated-key-0123456789');
    expect(keysEnv(objs)).toEqual({
      name: 'INGEST_API_KEYS',
      valueFrom: { secretKeyRef: { name: 'shop-ingest-api-keys', key: 'api-keys' } },
    });
    expect(JSON.stringify(objs.filter((o) => o.kind !== 'Secret'))).not.toContain('generated-key-0123456789');
  });

  it('uses spec.ingest.apiKeysSecret instead, and then generates nothing', () => {
    const objs = desiredState(sp({ ingest: { apiKeysSecret: 'my-keys' } }), {
      mysqlCredentials: creds,
      ingestApiKey: 'unused-key-0123456789',
    });
    expect(objs.some((o) => o.metadata.name === 'shop-ingest-api-keys')).toBe(false);
    expect(keysEnv(objs)).toEqual({
      name: 'INGEST_API_KEYS',
      valueFrom: { secretKeyRef: { name: 'my-keys', key: 'api-keys' } },
    });
  });
});
