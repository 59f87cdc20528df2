/** Least privilege in the desired state: per-app MySQL users, Kafka users and ACLs, NetworkPolicies. */
import { describe, expect, it } from '@jest/globals';
import type { SalesPipeline, SalesPipelineSpecInput } from './api/schema.js';
import { checkSpec } from './api/validate.js';
import { initHashAnnotation, mysqlInitSql, sqlString } from './charts/mysql.js';
import { desiredState, type KubeObject } from './desired.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const sp = (spec: SalesPipelineSpecInput = {}): SalesPipeline => ({
  apiVersion: 'salespipeline.io/v1alpha1',
  kind: 'SalesPipeline',
  metadata: { name: 'demo', namespace: 'shop', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
  spec,
});
const creds = { rootPassword: 'root-1', processorPassword: 'proc-2', dashboardPassword: 'dash-3' };
const render = (spec: SalesPipelineSpecInput = {}, c = creds) => desiredState(sp(spec), { mysqlCredentials: c });
const find = (objs: KubeObject[], kind: string, name: string): any => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
};
const decoded = (secret: any) =>
  Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, atob(v)]));
const envOf = (objs: KubeObject[], app: string) =>
  Object.fromEntries(
    find(objs, 'Deployment', `demo-${app}`).spec.template.spec.containers[0].env.map((e: any) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

describe('MySQL: one user per app', () => {
  it('the generated Secret holds the root and per-app passwords; the URL Secret one URL per app', () => {
    const objs = render();
    expect(decoded(find(objs, 'Secret', 'demo-mysql'))).toEqual({
      'root-password': 'root-1',
      'processor-password': 'proc-2',
      'dashboard-password': 'dash-3',
      'processor-username': 'processor',
      'dashboard-username': 'dashboard',
    });
    expect(decoded(find(objs, 'Secret', 'demo-mysql-url'))).toEqual({
      'processor-url': 'mysql://processor:proc-2@demo-mysql.shop.svc:3306/salespipeline',
      'dashboard-url': 'mysql://dashboard:dash-3@demo-mysql.shop.svc:3306/salespipeline',
    });
    expect(envOf(objs, 'processor').MYSQL_URL).toEqual({
      secretKeyRef: { name: 'demo-mysql-url', key: 'processor-url' },
    });
    expect(envOf(objs, 'dashboard').MYSQL_URL).toEqual({
      secretKeyRef: { name: 'demo-mysql-url', key: 'dashboard-url' },
    });
  });

  it('the init file creates processor (read-write + DDL) and dashboard (SELECT) and runs at every start', () => {
    const objs = render({ mysql: { database: 'sales_db' } });
    const sql = decoded(find(objs, 'Secret', 'demo-mysql-init'))['users.sql'];
    expect(sql).toBe(mysqlInitSql('sales_db', creds));
    expect(sql!.split('\n').filter(Boolean)).toEqual([
      "CREATE USER IF NOT EXISTS 'processor'@'%' IDENTIFIED BY 'proc-2';",
      "ALTER USER 'processor'@'%' IDENTIFIED BY 'proc-2';",
      "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `sales\\_db`.* TO 'processor'@'%';",
      "CREATE USER IF NOT EXISTS 'dashboard'@'%' IDENTIFIED BY 'dash-3';",
      "ALTER USER 'dashboard'@'%' IDENTIFIED BY 'dash-3';",
      "GRANT SELECT ON `sales\\_db`.* TO 'dashboard'@'%';",
    ]);
    const sts = find(objs, 'StatefulSet', 'demo-mysql');
    const c = sts.spec.template.spec.containers[0];
    expect(c.args).toEqual([
      '--init-file=/etc/mysql/salespipeline-init/users.sql',
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=1',
    ]);
    expect(c.env.map((e: any) => e.name)).toEqual(['MYSQL_DATABASE', 'MYSQL_ROOT_PASSWORD']);
    expect(sts.spec.template.spec.volumes).toContainEqual({
      name: 'init',
      secret: { secretName: 'demo-mysql-init', defaultMode: 0o440 },
    });
    expect(sts.spec.template.spec.securityContext).toMatchObject({ fsGroup: 999, runAsUser: 999, runAsNonRoot: true });
    // A changed init file (another password) changes the pod template: MySQL restarts and runs it.
    const other = find(render({}, { ...creds, dashboardPassword: 'new' }), 'StatefulSet', 'demo-mysql');
    expect(other.spec.template.metadata.annotations[initHashAnnotation]).not.toBe(
      find(render(), 'StatefulSet', 'demo-mysql').spec.template.metadata.annotations[initHashAnnotation],
    );
  });

  it('quotes passwords as SQL string literals', () => {
    expect(sqlString("a'b\\c")).toBe("'a''b\\\\c'");
  });

  it('existing secret: nothing generated, root from its root-password key', () => {
    const objs = render({ mysql: { existingSecret: 'my-db' } });
    expect(objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'demo-mysql')).toBe(false);
    expect(find(objs, 'StatefulSet', 'demo-mysql').spec.template.spec.containers[0].env).toContainEqual({
      name: 'MYSQL_ROOT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'my-db', key: 'root-password' } },
    });
  });
});

describe('Kafka authentication and ACLs', () => {
  it('none (default): plain listener, no authorization, no KafkaUser, no credentials in the env', () => {
    const objs = render();
    const kafka = find(objs, 'Kafka', 'demo');
    expect(kafka.spec.kafka.listeners[0]).toMatchObject({ name: 'plain', port: 9092, tls: false });
    expect(kafka.spec.kafka.listeners[0].authentication).toBeUndefined();
    expect(kafka.spec.kafka.authorization).toBeUndefined();
    expect(objs.some((o) => o.kind === 'KafkaUser')).toBe(false);
    expect(Object.keys(envOf(objs, 'ingest')).some((k) => k.startsWith('KAFKA_SASL'))).toBe(false);
  });

  it('scram-sha-512: authenticated listener, simple authorization, one KafkaUser per Kafka app with its ACLs', () => {
    const objs = render({
      kafka: { authentication: 'scram-sha-512', topics: { name: 'sales' } },
      processor: { autoscaling: { consumerGroup: 'grp' } },
    });
    const kafka = find(objs, 'Kafka', 'demo');
    expect(kafka.spec.kafka.listeners[0]).toMatchObject({
      name: 'plain',
      port: 9092,
      authentication: { type: 'scram-sha-512' },
    });
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(objs.filter((o) => o.kind === 'KafkaUser').map((o) => o.metadata.name)).toEqual([
      'demo-ingest',
      'demo-processor',
    ]);
    const acl = (user: string) =>
      find(objs, 'KafkaUser', user).spec.authorization.acls.map(
        (a: any) => `${a.resource.type}:${a.resource.name}:${a.operations.join('+')}`,
      );
    expect(acl('demo-ingest')).toEqual(['topic:sales:Write+Describe']);
    expect(acl('demo-processor')).toEqual([
      'topic:sales:Read+Describe+DescribeConfigs',
      'topic:sales.dlq:Write+Describe',
      'topic:sales.late:Write+Describe',
      'group:grp:Read+Describe',
    ]);
    const user = find(objs, 'KafkaUser', 'demo-ingest');
    expect(user.metadata.labels['strimzi.io/cluster']).toBe('demo');
    expect(user.spec.authentication).toEqual({ type: 'scram-sha-512' });
    const env = envOf(objs, 'ingest');
    expect(env.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    expect(env.KAFKA_SASL_USERNAME).toBe('demo-ingest');
    expect(env.KAFKA_SASL_PASSWORD).toEqual({ secretKeyRef: { name: 'demo-ingest', key: 'password' } });
    expect(envOf(objs, 'processor').KAFKA_SASL_USERNAME).toBe('demo-processor');
    // The processor's migrate init container connects as the processor too.
    const init = find(objs, 'Deployment', 'demo-processor').spec.template.spec.initContainers[0];
    expect(init.env.map((e: any) => e.name)).toContain('KAFKA_SASL_PASSWORD');
    // The dashboard does not use Kafka: no user, no Kafka settings.
    expect(Object.keys(envOf(objs, 'dashboard')).some((k) => k.startsWith('KAFKA'))).toBe(false);
  });

  it('tls: a TLS listener on 9093 with client certificates; the apps get the CA and their certificate', () => {
    const objs = render({ kafka: { authentication: 'tls' } });
    expect(find(objs, 'Kafka', 'demo').spec.kafka.listeners[0]).toMatchObject({
      name: 'tls',
      port: 9093,
      tls: true,
      authentication: { type: 'tls' },
    });
    expect(find(objs, 'KafkaUser', 'demo-processor').spec.authentication).toEqual({ type: 'tls' });
    const env = envOf(objs, 'processor');
    expect(env.KAFKA_BROKERS).toBe('demo-kafka-bootstrap:9093');
    expect(env.KAFKA_SSL).toBe('true');
    expect(env.KAFKA_SSL_CA).toEqual({ secretKeyRef: { name: 'demo-cluster-ca-cert', key: 'ca.crt' } });
    expect(env.KAFKA_SSL_KEY).toEqual({ secretKeyRef: { name: 'demo-processor', key: 'user.key' } });
  });

  it('keda autoscaling with authentication is refused (no TriggerAuthentication generated)', () => {
    const checked = checkSpec({ kafka: { authentication: 'tls' }, processor: { autoscaling: { mode: 'keda' } } });
    expect(checked.ok ? [] : checked.problems).toEqual([
      'spec: processor.autoscaling.mode keda needs kafka.authentication none (no KEDA TriggerAuthentication is generated yet)',
    ]);
  });
});

describe('NetworkPolicies', () => {
  const policies = (objs: KubeObject[]): Record<string, any> =>
    Object.fromEntries(objs.filter((o) => o.kind === 'NetworkPolicy').map((o: any) => [o.metadata.name, o.spec]));

  it('on by default: default deny, ingest API open, its metrics from monitoring, processor metrics from monitoring, stores from their apps only', () => {
    const objs = render();
    const p = policies(objs);
    expect(Object.keys(p).sort()).toEqual([
      'demo-cassandra',
      'demo-dashboard',
      'demo-default-deny',
      'demo-ingest',
      'demo-mysql',
      'demo-processor',
    ]);
    for (const spec of Object.values(p)) expect(spec.policyTypes).toEqual(['Ingress']);
    expect(p['demo-default-deny']).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/part-of': 'salespipeline' },
      },
      policyTypes: ['Ingress'],
    });
    expect(p['demo-dashboard'].ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    const byName = (...values: string[]) => ({
      namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values }] },
    });
    expect(p['demo-ingest'].ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 8080 }] },
      { ports: [{ protocol: 'TCP', port: 9090 }], from: [byName('monitoring')] },
    ]);
    expect(p['demo-processor'].ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 8080 }], from: [byName('monitoring')] },
    ]);
    const app = (name: string) => ({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'demo' } },
    });
    expect(p['demo-mysql']).toMatchObject({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'demo' } },
      ingress: [{ ports: [{ protocol: 'TCP', port: 3306 }], from: [app('processor'), app('dashboard')] }],
    });
    expect(p['demo-cassandra'].podSelector).toEqual({
      matchLabels: { 'cassandra.datastax.com/cluster': 'salespipeline' },
    });
    expect(p['demo-cassandra'].ingress[0]).toEqual({
      ports: [{ protocol: 'TCP', port: 9042 }],
      from: [app('processor'), app('dashboard')],
    });
    expect(p['demo-cassandra'].ingress[2].from).toEqual([byName('k8ssandra-operator')]);
    // Kafka: Strimzi's own policy, restricted through the listener's peers.
    expect(find(objs, 'Kafka', 'demo').spec.kafka.listeners[0].networkPolicyPeers).toEqual([
      app('ingest'),
      app('processor'),
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'salespipeline-system' } } },
    ]);
  });

  it('dashboard restricted to given namespaces; KEDA admitted to Kafka in keda mode', () => {
    const objs = render({
      networkPolicies: { dashboardNamespaces: ['office'], monitoringNamespace: 'prom' },
      processor: { autoscaling: { mode: 'keda' } },
    });
    expect(policies(objs)['demo-dashboard'].ingress[0].from).toEqual([
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['office', 'prom', 'shop'] },
          ],
        },
      },
    ]);
    expect(find(objs, 'Kafka', 'demo').spec.kafka.listeners[0].networkPolicyPeers).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } },
    });
  });

  it('disabled: no NetworkPolicy and no listener peers', () => {
    const objs = render({ networkPolicies: { enabled: false } });
    expect(objs.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    expect(find(objs, 'Kafka', 'demo').spec.kafka.listeners[0].networkPolicyPeers).toBeUndefined();
  });
});
