import { describe, expect, it } from '@jest/globals';
import { loadConfig, type ConfigSpec } from '@salespipeline/shared';
// The apps' own config specs: what the Deployments set must be what the apps read.
import { dashboardSpec } from '../../../apps/dashboard/src/config.js';
import { ingestSpec } from '../../../apps/ingest/src/config.js';
import { processorSpec } from '../../../apps/processor/src/config.js';
import { desiredState, type KubeObject } from '../desired.js';
import { ingestWorkers } from './apps.js';

interface Container {
  args?: string[];
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe: { httpGet: { port: string | number } };
  livenessProbe: { httpGet: { port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
}
type PodSpec = { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> };

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

describe.each<[string, ConfigSpec, string, string]>([
  ['shop-ingest', ingestSpec, 'port', 'opsPort'],
  ['shop-processor', processorSpec, 'opsPort', 'opsPort'],
  ['shop-dashboard', dashboardSpec, 'port', 'port'],
])('the %s Deployment', (name, spec, portKey, probedKey) => {
  it('configures the app: its config loads, and it listens on the ports the probes and Service use', () => {
    const c = container(name);
    const config = loadConfig(spec, environment(c)) as Record<string, unknown>;
    const port = (portName: string | number) => c.ports.find((p) => p.name === portName)?.containerPort;
    expect(config[portKey]).toBe(port('http'));
    expect(config[probedKey]).toBe(port(c.readinessProbe.httpGet.port));
    expect(config[probedKey]).toBe(port(c.livenessProbe.httpGet.port));
  });

  it('sets no variable that neither the app nor node reads', () => {
    const read = new Set([...Object.values(spec).map((s) => s.env), 'NODE_OPTIONS']);
    const unknown = container(name)
      .env.filter((e) => !read.has(e.name))
      .map((e) => e.name);
    expect(unknown).toEqual([]);
  });
});

describe('Cassandra logins', () => {
  const podOf = (name: string) =>
    (
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as {
        spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
      }
    ).spec.template.spec;
  const login = (c: Container) => {
    const e = environment(c);
    const ref = (name: string) => c.env.find((v) => v.name === name)?.valueFrom;
    return { user: e.CASSANDRA_USERNAME, password: ref('CASSANDRA_PASSWORD') };
  };

  it('gives each app its own role and the superuser only to the migration, which creates the roles', () => {
    expect(login(podOf('shop-processor').containers[0]!)).toEqual({
      user: 'salespipeline_processor',
      password: { secretKeyRef: { name: 'shop-cassandra-roles', key: 'processor-password' } },
    });
    expect(login(podOf('shop-dashboard').containers[0]!)).toEqual({
      user: 'salespipeline_dashboard',
      password: { secretKeyRef: { name: 'shop-cassandra-roles', key: 'dashboard-password' } },
    });
    const migrate = podOf('shop-processor').initContainers![0]!;
    expect(login(migrate).password).toEqual({ secretKeyRef: { name: 'salespipeline-superuser', key: 'password' } });
    const config = loadConfig(processorSpec, environment(migrate));
    expect(config).toMatchObject({
      cassandraProcessorRole: 'salespipeline_processor',
      cassandraDashboardRole: 'salespipeline_dashboard',
    });
    const superuserUsers = objects
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => {
        const pod = podOf(d.metadata.name);
        return [...pod.containers, ...(pod.initContainers ?? [])];
      })
      .filter((c) => JSON.stringify(c.env).includes('salespipeline-superuser'));
    expect(superuserUsers.map((c) => (c as unknown as { name: string }).name)).toEqual(['migrate']);
  });

  it('renders the role passwords in their Secret when the operator observed them', () => {
    const withRoles = desiredState(
      {
        apiVersion: 'salespipeline.io/v1alpha1',
        kind: 'SalesPipeline',
        metadata: { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
        spec: {},
      },
      { mysqlCredentials: creds, cassandraRolePasswords: { processor: 'pw-p', dashboard: 'pw-d' } },
    );
    const secret = withRoles.find((o) => o.kind === 'Secret' && o.metadata.name === 'shop-cassandra-roles') as
      (KubeObject & { data: Record<string, string> }) | undefined;
    const decoded = Object.fromEntries(
      Object.entries(secret!.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(decoded).toMatchObject({ 'processor-password': 'pw-p', 'dashboard-password': 'pw-d' });
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
  const ingestPod = (objs: KubeObject[]) =>
    (
      objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-ingest') as unknown as {
        spec: { template: { spec: PodSpec } };
      }
    ).spec.template.spec;
  /** The Secret ingest reads its keys from: mounted whole (never by subPath, which is not updated). */
  const keysSecretOf = (objs: KubeObject[]) => {
    const pod = ingestPod(objs);
    const c = pod.containers[0]!;
    const file = c.env.find((e) => e.name === 'INGEST_API_KEYS_FILE')?.value ?? '';
    const mount = c.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
    expect(mount?.subPath).toBeUndefined();
    expect(c.env.some((e) => e.name === 'INGEST_API_KEYS')).toBe(false);
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    return { secret: volume?.secret?.secretName, key: file.slice((mount?.mountPath.length ?? 0) + 1) };
  };

  it('renders the generated key in its own Secret and mounts it for ingest, never as a literal', () => {
    const objs = desiredState(sp({}), { mysqlCredentials: creds, ingestApiKey: 'generated-key-0123456789' });
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'shop-ingest-api-keys') as
      (KubeObject & { data: Record<string, string> }) | undefined;
    expect(Buffer.from(secret!.data['api-keys']!, 'base64').toString()).toBe('operator:generated-key-0123456789');
    expect(keysSecretOf(objs)).toEqual({ secret: 'shop-ingest-api-keys', key: 'api-keys' });
    expect(JSON.stringify(objs.filter((o) => o.kind !== 'Secret'))).not.toContain('generated-key-0123456789');
  });

  it('uses spec.ingest.apiKeysSecret instead, and then generates nothing', () => {
    const objs = desiredState(sp({ ingest: { apiKeysSecret: 'my-keys' } }), {
      mysqlCredentials: creds,
      ingestApiKey: 'unused-key-0123456789',
    });
    expect(objs.some((o) => o.metadata.name === 'shop-ingest-api-keys')).toBe(false);
    expect(keysSecretOf(objs)).toEqual({ secret: 'my-keys', key: 'api-keys' });
  });
});

describe("ingest's metrics", () => {
  const services = objects.filter((o) => o.kind === 'Service') as unknown as Array<
    KubeObject & { spec: { ports: Array<{ name: string; targetPort: string }> } }
  >;

  it('are not on the public Service, which the ServiceMonitor skips; an in-cluster Service carries the ops port', () => {
    const publicService = services.find((s) => s.metadata.name === 'shop-ingest')!;
    expect(publicService.spec.ports.map((p) => p.name)).toEqual(['http']);
    expect(publicService.metadata.labels).toMatchObject({ 'salespipeline.io/scrape': 'false' });
    const metrics = services.find((s) => s.metadata.name === 'shop-ingest-metrics')!;
    expect(metrics.spec.ports).toEqual([expect.objectContaining({ name: 'ops', targetPort: 'ops' })]);
  });

  it('are reachable from the monitoring namespace only', () => {
    const withPolicies = desiredState(
      {
        apiVersion: 'salespipeline.io/v1alpha1',
        kind: 'SalesPipeline',
        metadata: { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
        spec: { networkPolicies: { enabled: true } },
      },
      { mysqlCredentials: creds },
    );
    const policy = withPolicies.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'shop-ingest',
    ) as unknown as { spec: { ingress: Array<{ ports: Array<{ port: number }>; from?: unknown[] }> } };
    const opsPort = container('shop-ingest').ports.find((p) => p.name === 'ops')!.containerPort;
    const opsRule = policy.spec.ingress.find((r) => r.ports.some((p) => p.port === opsPort));
    expect(opsRule?.from).toEqual([
      { namespaceSelector: { matchExpressions: [expect.objectContaining({ values: ['monitoring'] })] } },
    ]);
    const apiRule = policy.spec.ingress.find((r) => r.ports.some((p) => p.port === 8080));
    expect(apiRule?.from).toBeUndefined();
  });
});

describe('ingestWorkers', () => {
  it('is the CPU limit, else the request, in whole CPUs rounded up; unset without either', () => {
    expect(ingestWorkers({ requests: { cpu: '100m' } })).toBe(1);
    expect(ingestWorkers({ requests: { cpu: '100m' }, limits: { cpu: '1500m' } })).toBe(2);
    expect(ingestWorkers({ requests: { cpu: '2' } })).toBe(2);
    expect(ingestWorkers({ limits: { cpu: '0.5' } })).toBe(1);
    expect(ingestWorkers({ limits: { cpu: '3000m' } })).toBe(3);
    expect(ingestWorkers({})).toBeUndefined();
    expect(ingestWorkers(undefined)).toBeUndefined();
  });

  it('reaches the ingest Deployment: one worker for the default 100m request', () => {
    expect(container('shop-ingest').env).toContainEqual({ name: 'INGEST_WORKERS', value: '1' });
  });
});
