/**
 * The kinds a SalesPipeline owns, in one place: the operator watches them, the generated RBAC grants
 * exactly them, and the finalizer tears them down stage by stage in this order.
 */
export interface OwnedKind {
  apiVersion: string;
  kind: string;
  plural: string;
  /** Teardown stage: lower stages are deleted, and gone, before higher ones start. */
  stage: TeardownStage;
  /** Its CRD may be absent (an add-on such as KEDA): the operator then watches nothing and runs on. */
  optional?: boolean;
}

export const teardownStages = ['apps', 'topics', 'kafka', 'cassandra', 'mysql'] as const;
export type TeardownStage = (typeof teardownStages)[number];

export const ownedKinds: readonly OwnedKind[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', stage: 'apps' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', stage: 'apps' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors', stage: 'apps' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', stage: 'apps' },
  // spec.processor.autoscaling.mode keda only; KEDA need not be installed otherwise.
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects', stage: 'apps', optional: true },
  { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', plural: 'kafkatopics', stage: 'topics' },
  // spec.kafka.authentication scram-sha-512|tls: one user per app, with its ACLs.
  { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaUser', plural: 'kafkausers', stage: 'topics' },
  { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'Kafka', plural: 'kafkas', stage: 'kafka' },
  { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaNodePool', plural: 'kafkanodepools', stage: 'kafka' },
  { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', plural: 'k8ssandraclusters', stage: 'cassandra' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', stage: 'mysql' },
  // Services of the apps go with MySQL's at the end: nothing depends on their absence.
  { apiVersion: 'v1', kind: 'Service', plural: 'services', stage: 'mysql' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', stage: 'mysql' },
  // Last: the pipeline stays isolated until everything else is gone.
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', stage: 'mysql' },
];

export const kindKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

export function ownedKind(apiVersion: string, kind: string): OwnedKind {
  const found = ownedKinds.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  if (!found) throw new Error(`${kindKey(apiVersion, kind)} is not a kind a SalesPipeline owns`);
  return found;
}

export const apiGroupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Labels on every child; the operator's watches select on managed-by. */
export const labels = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
} as const;
export const fieldManager = 'salespipeline-operator';
export const managedBySelector = `${labels.managedBy}=${fieldManager}`;
export const finalizer = 'salespipeline.io/teardown';
export const pauseAnnotation = 'salespipeline.io/paused';
/**
 * Where the operator itself reaches Kafka to read the consumer lag (host:port[,host:port]), when not
 * at the Strimzi bootstrap Service (an operator outside the cluster, a local Kafka in the tests).
 */
export const kafkaBootstrapAnnotation = 'salespipeline.io/kafka-bootstrap';
