/** What every chart builder gets: the SalesPipeline (defaulted spec) and the facts observed in the cluster. */
import type { TopicRole } from '@salespipeline/shared';
import type { SalesPipelineSpec } from '../api/schema.js';
import { fieldManager, labels } from '../kinds.js';

/**
 * MySQL credentials: root (the server's administrator, used only by the server's init file) and one
 * user per app, least privilege: `processor` writes and runs the migrations, `dashboard`
 * only reads.
 */
export interface MysqlCredentials {
  rootPassword: string;
  processorPassword: string;
  dashboardPassword: string;
}

/** The MySQL users the init file creates (fixed names; the passwords come from the Secret). */
export const mysqlUsers = { processor: 'processor', dashboard: 'dashboard' } as const;

/**
 * Keys of the MySQL credentials Secret (generated, or spec.mysql.existingSecret). An existing Secret
 * needs the three password keys; the generated one also carries the user names, for people.
 */
export const mysqlSecretKeys = {
  rootPassword: 'root-password',
  processorPassword: 'processor-password',
  dashboardPassword: 'dashboard-password',
} as const;

/** A MySQL login of an app (spec.mysql.external: the user names and passwords of its Secret). */
export type MysqlLogins = Record<keyof typeof mysqlUsers, { username: string; password: string }>;

/** Keys of the spec.mysql.external credentials Secret. */
export const externalMysqlSecretKeys = {
  processor: { username: 'processor-username', password: 'processor-password' },
  dashboard: { username: 'dashboard-username', password: 'dashboard-password' },
} as const;

/**
 * Facts the desired state depends on that the spec does not hold. The builders stay pure: the
 * reconciler observes (or generates, once) these and passes them in.
 */
export interface Observed {
  /** Credentials in the generated MySQL Secret, or freshly generated ones for the first apply. */
  mysqlCredentials: MysqlCredentials;
  /**
   * The API key the operator generated for the ingest API (kept in its Secret, generated once);
   * unused with spec.ingest.apiKeysSecret. Absent: the generated Secret is not rendered.
   */
  ingestApiKey?: string;
  /**
   * Passwords of the apps' Cassandra roles (kept in their Secret, generated once). Absent: the Secret
   * is not rendered (the apps still reference it).
   */
  cassandraRolePasswords?: { processor: string; dashboard: string };
  /** spec.mysql.external: the apps' logins, read from its credentials Secret. */
  externalMysqlLogins?: MysqlLogins;
  /** Processor replicas chosen by the built-in autoscaler; clamped to [minReplicas, maxReplicas]. */
  processorReplicas?: number;
}

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface Context {
  owner: Owner;
  spec: SalesPipelineSpec;
  observed: Observed;
}

/** Names of the children, all derived from the SalesPipeline name (≤ 40 characters). */
export const names = (sp: string) => ({
  kafka: sp,
  nodePool: `${sp}-pool`,
  kafkaBootstrap: `${sp}-kafka-bootstrap`,
  topic: (role: TopicRole) => (role === 'orders' ? `${sp}-orders` : `${sp}-orders-${role}`),
  mysql: `${sp}-mysql`,
  mysqlSecret: `${sp}-mysql`,
  mysqlUrlSecret: `${sp}-mysql-url`,
  /** The server's init file (users and grants): it holds passwords, so a Secret. */
  mysqlInitSecret: `${sp}-mysql-init`,
  /** KafkaUser (and the Secret Strimzi's User Operator writes for it) of an app. */
  kafkaUser: (app: 'ingest' | 'processor') => `${sp}-${app}`,
  clusterCaSecret: `${sp}-cluster-ca-cert`,
  networkPolicy: (component: string) => `${sp}-${component}`,
  app: (app: 'ingest' | 'processor' | 'dashboard') => `${sp}-${app}`,
  /** In-cluster Service of ingest's ops port (its public Service carries the API only). */
  ingestMetrics: `${sp}-ingest-metrics`,
  dashboards: `${sp}-grafana-dashboards`,
  serviceMonitor: `${sp}`,
});

export const commonLabels = (sp: string, component: string): Record<string, string> => ({
  [labels.name]: component,
  [labels.instance]: sp,
  [labels.partOf]: 'salespipeline',
  [labels.managedBy]: fieldManager,
});

export const selectorLabels = (sp: string, component: string): Record<string, string> => ({
  [labels.name]: component,
  [labels.instance]: sp,
});

/** An env var's value from a key of a Secret. */
export const fromSecret = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });
/**
 * Keys of the Secrets spec.kafka.external and spec.cassandra.external name (the conventional ones:
 * kubernetes.io/basic-auth and kubernetes.io/tls).
 */
export const externalSecretKeys = {
  username: 'username',
  password: 'password',
  ca: 'ca.crt',
  cert: 'tls.crt',
  key: 'tls.key',
} as const;
