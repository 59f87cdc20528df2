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

const owned = (apiVersion: string, kind: string, plural: string, stage: TeardownStage, optional?: true) => ({
  apiVersion,
  kind,
  plural,
  stage,
  ...(optional ? { optional } : {}),
});

/** The kinds by name, for code that looks one up (the reconciler's status reads a child of each). */
export const childKinds = {
  deployment: owned('apps/v1', 'Deployment', 'deployments', 'apps'),
  podDisruptionBudget: owned('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', 'apps'),
  serviceMonitor: owned('monitoring.coreos.com/v1', 'ServiceMonitor', 'servicemonitors', 'apps'),
  configMap: owned('v1', 'ConfigMap', 'configmaps', 'apps'),
  // spec.processor.autoscaling.mode keda only; KEDA need not be installed otherwise.
  scaledObject: owned('keda.sh/v1alpha1', 'ScaledObject', 'scaledobjects', 'apps', true),
  kafkaTopic: owned('kafka.strimzi.io/v1beta2', 'KafkaTopic', 'kafkatopics', 'topics'),
  // spec.kafka.authentication scram-sha-512|tls: one user per app, with its ACLs.
  kafkaUser: owned('kafka.strimzi.io/v1beta2', 'KafkaUser', 'kafkausers', 'topics'),
  kafka: owned('kafka.strimzi.io/v1beta2', 'Kafka', 'kafkas', 'kafka'),
  kafkaNodePool: owned('kafka.strimzi.io/v1beta2', 'KafkaNodePool', 'kafkanodepools', 'kafka'),
  k8ssandraCluster: owned('k8ssandra.io/v1alpha1', 'K8ssandraCluster', 'k8ssandraclusters', 'cassandra'),
  statefulSet: owned('apps/v1', 'StatefulSet', 'statefulsets', 'mysql'),
  // Services of the apps go with MySQL's at the end: nothing depends on their absence.
  service: owned('v1', 'Service', 'services', 'mysql'),
  secret: owned('v1', 'Secret', 'secrets', 'mysql'),
  // Last: the pipeline stays isolated until everything else is gone.
  networkPolicy: owned('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', 'mysql'),
} satisfies Record<string, OwnedKind>;

/** Every owned kind, in teardown-stage order (the generated RBAC lists them in this order too). */
export const ownedKinds: readonly OwnedKind[] = Object.values(childKinds);

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
