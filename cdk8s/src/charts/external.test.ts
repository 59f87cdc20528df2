import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@salespipeline/shared';
import { processorSpec } from '../../../apps/processor/src/config.js';
import type { SalesPipelineSpecInput } from '../api/schema.js';
import { checkSpec } from '../api/validate.js';
import { desiredState, type KubeObject } from '../desired.js';
import type { Observed } from './context.js';

const owner = { name: 'shop', namespace: 'sales', uid: '6f1c7d0e-1111-4222-8333-944455556666' };
const creds = { rootPassword: 'r', processorPassword: 'p', dashboardPassword: 'd' };
const logins = {
  processor: { username: 'writer', password: 'w p@ss' },
  dashboard: { username: 'reader', password: 'r' },
};
const render = (spec: SalesPipelineSpecInput, observed: Observed = { mysqlCredentials: creds }) =>
  desiredState({ apiVersion: 'salespipeline.io/v1alpha1', kind: 'SalesPipeline', metadata: owner, spec }, observed);

const external: SalesPipelineSpecInput = {
  kafka: {
    external: {
      bootstrapServers: ['kafka-a.example.com:9094', 'kafka-b.example.com:9094'],
      sasl: { mechanism: 'scram-sha-256', secretName: 'kafka-login' },
      tls: { caSecretName: 'kafka-ca' },
    },
  },
  cassandra: {
    external: { contactPoints: ['10.1.0.5:9042'], localDatacenter: 'eu-west', credentialsSecretName: 'cql' },
  },
  mysql: { external: { host: 'mysql.example.com', port: 3307, credentialsSecretName: 'mysql-logins' } },
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  initContainers?: Array<{ securityContext?: Record<string, unknown> }>;
  containers: Array<{ name: string; env?: EnvVar[]; securityContext?: Record<string, unknown> }>;
}
const podSpecs = (objects: KubeObject[]) =>
  objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({
      name: `${o.kind}/${o.metadata.name}`,
      pod: (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec,
    }));
const env = (objects: KubeObject[], deployment: string) => {
  const pod = podSpecs(objects).find((p) => p.name === `Deployment/${deployment}`)!.pod;
  return Object.fromEntries(pod.containers[0]!.env!.map((e) => [e.name, e.value ?? e.valueFrom!.secretKeyRef]));
};

describe('external data services', () => {
  const objects = render(external, { mysqlCredentials: creds, externalMysqlLogins: logins });

  it('creates no Strimzi, K8ssandra or MySQL server objects for them', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser', 'K8ssandraCluster', 'StatefulSet'])
      expect(kinds).not.toContain(kind);
    expect(objects.map((o) => o.metadata.name)).not.toContain('shop-mysql-init');
    expect(objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).not.toEqual(
      expect.arrayContaining(['shop-mysql', 'shop-cassandra']),
    );
  });

  it('wires the apps to them, with the credentials of the Secrets the spec names', () => {
    const processor = env(objects, 'shop-processor');
    expect(processor).toMatchObject({
      KAFKA_BROKERS: 'kafka-a.example.com:9094,kafka-b.example.com:9094',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: { name: 'kafka-login', key: 'username' },
      KAFKA_SASL_PASSWORD: { name: 'kafka-login', key: 'password' },
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA: { name: 'kafka-ca', key: 'ca.crt' },
      CASSANDRA_CONTACT_POINTS: '10.1.0.5:9042',
      CASSANDRA_LOCAL_DC: 'eu-west',
      CASSANDRA_USERNAME: { name: 'cql', key: 'username' },
      // The keyspace in the external cluster's own datacenter (default replication factor 3).
      CASSANDRA_REPLICATION: "{'class': 'NetworkTopologyStrategy', 'eu-west': 3}",
      MYSQL_URL: { name: 'shop-mysql-url', key: 'processor-url' },
    });
    expect(env(objects, 'shop-ingest')).toMatchObject({
      KAFKA_SASL_USERNAME: { name: 'kafka-login', key: 'username' },
    });
    // The processor's config accepts what it is given.
    const config = loadConfig(processorSpec, {
      ...Object.fromEntries(Object.entries(processor).map(([k, v]) => [k, typeof v === 'string' ? v : 'x'])),
      MYSQL_URL: 'mysql://u:p@h:1/d',
    });
    expect(config.kafkaBrokers).toEqual(['kafka-a.example.com:9094', 'kafka-b.example.com:9094']);
  });

  it('gives each app its external MySQL login, at the external host and port, in the URL Secret', () => {
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'shop-mysql-url') as
      (KubeObject & { data: Record<string, string> }) | undefined;
    const decode = (key: string) => Buffer.from(secret!.data[key]!, 'base64').toString();
    expect(decode('processor-url')).toBe('mysql://writer:w%20p%40ss@mysql.example.com:3307/salespipeline');
    expect(decode('dashboard-url')).toBe('mysql://reader:r@mysql.example.com:3307/salespipeline');
  });

  it('keeps managed-only fields out (CEL rules, checked the same way in-process)', () => {
    const invalid = (spec: SalesPipelineSpecInput) => {
      const checked = checkSpec(spec);
      return checked.ok ? [] : checked.problems;
    };
    expect(invalid(external)).toEqual([]);
    expect(invalid({ ...external, kafka: { ...external.kafka, authentication: 'tls' } }).join()).toMatch(
      /external.sasl or external.tls/,
    );
    expect(invalid({ ...external, mysql: { ...external.mysql, existingSecret: 'x' } }).join()).toMatch(
      /mysql.existingSecret is for the StatefulSet/,
    );
    expect(invalid({ ...external, processor: { autoscaling: { mode: 'keda' } } }).join()).toMatch(
      /keda needs the Strimzi Kafka/,
    );
  });
});

describe('every pod of the pipeline', () => {
  const pods = podSpecs(
    render({
      placement: {
        nodeSelector: { 'salespipeline.io/node': 'real' },
        tolerations: [{ key: 'salespipeline.io/node', operator: 'Equal', value: 'real', effect: 'NoSchedule' }],
      },
    }),
  );

  it('passes Pod Security restricted: non-root, seccomp RuntimeDefault, no escalation, no capabilities, read-only root', () => {
    expect(pods.map((p) => p.name).sort()).toEqual([
      'Deployment/shop-dashboard',
      'Deployment/shop-ingest',
      'Deployment/shop-processor',
      'StatefulSet/shop-mysql',
    ]);
    for (const { pod } of pods) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('runs where spec.placement says', () => {
    for (const { pod } of pods) {
      expect(pod.nodeSelector).toEqual({ 'salespipeline.io/node': 'real' });
      expect(pod.tolerations).toEqual([
        { key: 'salespipeline.io/node', operator: 'Equal', value: 'real', effect: 'NoSchedule' },
      ]);
    }
  });
});
