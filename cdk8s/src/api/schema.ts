/**
 * The SalesPipeline API (salespipeline.io/v1alpha1): ONE source of truth for the TypeScript types,
 * the OpenAPI v3 schema, the defaults and the CEL rules. `Static<typeof ...>` gives the types; the
 * CRD (src/crd.ts) embeds the same schema objects; `withDefaults` (validate.ts) fills the same
 * defaults in-process that the apiserver fills on admission.
 */
import { Kind, Type, TypeRegistry, type Static, type TSchema } from '@sinclair/typebox';
import type { KubeObject, KubeObjectMeta } from './object.js';

export const group = 'salespipeline.io';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'SalesPipeline';
export const plural = 'salespipelines';

/**
 * A CEL rule, as the apiserver takes it (x-kubernetes-validations). `holds` is the same rule in
 * TypeScript, for the operator's own check of a spec (validate.ts); JSON serialisation drops it, so
 * the CRD carries only the CEL. Transition rules (oldSelf) have no `holds`: only the apiserver sees
 * the old object.
 */
export interface CelRule {
  rule: string;
  message: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  holds?: (self: any) => boolean;
}
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

// A string enum as the apiserver wants it ({type: string, enum}), checkable by TypeBox's Value too.
TypeRegistry.Set<{ enum: string[] }>(
  'StringEnum',
  (schema, value) => typeof value === 'string' && schema.enum.includes(value),
);
const enumOf = <const T extends string>(values: readonly T[], options: { default?: T; description?: string } = {}) =>
  Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...options });

// A map of strings (labels, node selectors): a CRD needs additionalProperties, not patternProperties.
TypeRegistry.Set<{ maxProperties: number }>(
  'StringMap',
  (schema, value) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length <= schema.maxProperties &&
    Object.values(value).every((v) => typeof v === 'string'),
);
const stringMap = (description: string) =>
  Type.Unsafe<Record<string, string>>({
    [Kind]: 'StringMap',
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 253 },
    maxProperties: 32,
    description,
  });

const quantityPattern = '^([0-9]+(\\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';
const quantity = (def: string | undefined, description: string) =>
  Type.String({ pattern: quantityPattern, maxLength: 32, description, ...(def === undefined ? {} : { default: def }) });
const image = (def: string) =>
  Type.String({ pattern: '^\\S+$', minLength: 1, maxLength: 512, default: def, description: 'Container image' });
const imagePullPolicy = () =>
  enumOf(['Always', 'IfNotPresent', 'Never'] as const, {
    default: 'IfNotPresent',
    description: 'When the kubelet pulls the image (Never: only images already on the node)',
  });
/** A StorageClass name (a DNS subdomain, as the apiserver checks it in the claims). */
const storageClassPattern = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** The name of a Secret in the SalesPipeline's namespace. */
const secretName = (description: string) =>
  Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253, description });
/** host:port (a DNS name or an IPv4 address). */
const hostPort = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$', maxLength: 260, description });
const dnsLabel = (def: string, maxLength: number, description: string) =>
  Type.String({ pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', minLength: 1, maxLength, default: def, description });

const resourceList = Type.Object({
  cpu: Type.Optional(quantity(undefined, 'CPU, e.g. 500m')),
  memory: Type.Optional(quantity(undefined, 'Memory, e.g. 256Mi')),
});
const resources = (requests: { cpu: string; memory: string }, limits: { memory: string }) =>
  Type.Object(
    { requests: Type.Optional(resourceList), limits: Type.Optional(resourceList) },
    { default: { requests, limits }, description: 'Container resources (requests and limits)' },
  );

const storage = (size: string) =>
  Type.Object(
    {
      size: quantity(size, 'Volume size per replica'),
      storageClassName: Type.Optional(
        Type.String({
          pattern: storageClassPattern,
          maxLength: 253,
          description: 'StorageClass (cluster default if unset)',
        }),
      ),
    },
    { default: {} },
  );

export const imageVersion = '0.1.0';
export const defaultImage = (app: string) => `ghcr.io/salespipeline/${app}:${imageVersion}`;

/**
 * A Kafka the SalesPipeline does not manage (a cloud service, a cluster of another team): the
 * operator creates no Strimzi objects, gives the apps and its autoscaler these settings, and reports
 * KafkaReady by connecting to it. The topics (kafka.topics) must exist there.
 */
export const externalKafkaSchema = Type.Object(
  {
    bootstrapServers: Type.Array(hostPort('A broker, host:port'), {
      minItems: 1,
      maxItems: 32,
      description: 'Bootstrap brokers',
    }),
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: enumOf(['plain', 'scram-sha-256', 'scram-sha-512'] as const, { description: 'SASL mechanism' }),
          secretName: secretName("Secret with the keys 'username' and 'password'"),
        },
        { description: 'SASL authentication (unset: none)' },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          caSecretName: Type.Optional(
            secretName("Secret whose key 'ca.crt' verifies the brokers (unset: the public CAs of Node.js)"),
          ),
          clientCertSecretName: Type.Optional(
            secretName("Secret with 'tls.crt' and 'tls.key' (type kubernetes.io/tls) for mutual TLS"),
          ),
        },
        { description: 'Connect over TLS (unset: plaintext)' },
      ),
    ),
  },
  { description: 'Use this Kafka instead of a Strimzi one' },
);

export const kafkaSpecSchema = Type.Object(
  {
    external: Type.Optional(externalKafkaSchema),
    version: Type.String({
      pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
      default: '3.9.0',
      description: 'Kafka version (Strimzi)',
    }),
    replicas: Type.Integer({ minimum: 1, maximum: 15, default: 3, description: 'Brokers (KRaft, combined roles)' }),
    authentication: enumOf(['none', 'scram-sha-512', 'tls'] as const, {
      default: 'none',
      description:
        'Client authentication on the Kafka listener. scram-sha-512 or tls: the listener authenticates, Kafka authorizes (simple ACLs), and the operator emits one KafkaUser per app with only the ACLs it needs',
    }),
    storage: storage('20Gi'),
    topics: Type.Object(
      {
        name: Type.String({
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          maxLength: 200,
          default: 'orders',
          description: 'Orders topic; the DLQ and late topics are <name>.dlq and <name>.late',
        }),
        partitions: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 12,
          description: 'Partitions of the orders topic (never decreases)',
          ...cel({ rule: 'self >= oldSelf', message: 'partitions can only grow' }),
        }),
        retentionHours: Type.Integer({
          minimum: 1,
          maximum: 87600,
          default: 168,
          description: 'Retention of the topics',
        }),
      },
      { default: {} },
    ),
  },
  {
    default: {},
    ...cel(
      {
        rule: "!has(self.external) || self.authentication == 'none'",
        message:
          'kafka.authentication configures the Strimzi listener: with kafka.external use external.sasl or external.tls',
        holds: (self: { external?: unknown; authentication: string }) =>
          !self.external || self.authentication === 'none',
      },
      {
        rule: '!has(self.external) || !has(self.storage.storageClassName)',
        message: 'kafka.storage belongs to a Strimzi Kafka: not with kafka.external',
        holds: (self: { external?: unknown; storage: { storageClassName?: string } }) =>
          !self.external || self.storage.storageClassName === undefined,
      },
    ),
  },
);

/** A Cassandra the SalesPipeline does not manage: no K8ssandraCluster; CassandraReady from a connection. */
export const externalCassandraSchema = Type.Object(
  {
    contactPoints: Type.Array(hostPort('A node, host:port'), {
      minItems: 1,
      maxItems: 32,
      description: 'Contact points',
    }),
    localDatacenter: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]*$',
      description: 'Local datacenter of the clients (CASSANDRA_LOCAL_DC)',
    }),
    credentialsSecretName: Type.Optional(
      secretName("Secret with the keys 'username' and 'password' (unset: no authentication)"),
    ),
    replicationFactor: Type.Integer({
      minimum: 1,
      maximum: 12,
      default: 3,
      description:
        'Replicas of the orders keyspace in localDatacenter (NetworkTopologyStrategy), when the processor creates it: at most the nodes there',
    }),
  },
  { description: 'Use this Cassandra instead of a K8ssandra one' },
);

export const cassandraSpecSchema = Type.Object(
  {
    external: Type.Optional(externalCassandraSchema),
    clusterName: dnsLabel('salespipeline', 40, 'Cassandra cluster name (immutable)'),
    datacenter: Type.Object(
      {
        name: dnsLabel('dc1', 40, 'Datacenter name; also CASSANDRA_LOCAL_DC of the apps'),
        size: Type.Integer({ minimum: 1, maximum: 50, default: 3, description: 'Cassandra nodes in the datacenter' }),
      },
      { default: {} },
    ),
    serverVersion: Type.String({
      pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
      default: '4.1.8',
      description: 'Cassandra version',
    }),
    storage: Type.Object(
      {
        size: quantity('50Gi', 'Volume size per node'),
        storageClassName: Type.Optional(
          Type.String({ pattern: storageClassPattern, maxLength: 253, description: 'StorageClass (immutable)' }),
        ),
      },
      {
        default: {},
        ...cel({
          rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)',
          message: 'storageClassName is immutable',
        }),
      },
    ),
    heapSize: Type.String({ pattern: '^[0-9]+[MG]$', default: '1G', description: 'JVM heap, e.g. 1G' }),
  },
  {
    default: {},
    ...cel(
      { rule: 'self.clusterName == oldSelf.clusterName', message: 'clusterName is immutable' },
      {
        rule: '!has(self.external) || !has(self.storage.storageClassName)',
        message: 'cassandra.storage belongs to a K8ssandra cluster: not with cassandra.external',
        holds: (self: { external?: unknown; storage: { storageClassName?: string } }) =>
          !self.external || self.storage.storageClassName === undefined,
      },
    ),
  },
);

/** A MySQL the SalesPipeline does not manage: no StatefulSet; MySQLReady from a connection. */
export const externalMysqlSchema = Type.Object(
  {
    host: Type.String({
      pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$',
      maxLength: 253,
      description: 'Host name or IPv4 address',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 3306 }),
    credentialsSecretName: secretName(
      "Secret with 'processor-username', 'processor-password' (writes, runs the migrations) and 'dashboard-username', 'dashboard-password' (reads)",
    ),
  },
  { description: 'Use this MySQL instead of the StatefulSet; the database is mysql.database' },
);

export const mysqlSpecSchema = Type.Object(
  {
    external: Type.Optional(externalMysqlSchema),
    image: image('mysql:8.4'),
    imagePullPolicy: imagePullPolicy(),
    storage: storage('20Gi'),
    database: Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 64, default: 'salespipeline' }),
    existingSecret: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        maxLength: 253,
        description:
          'Secret with the keys root-password, processor-password and dashboard-password (users processor and dashboard); generated when unset',
      }),
    ),
  },
  {
    default: {},
    ...cel(
      {
        rule: '!has(self.external) || !has(self.existingSecret)',
        message: 'mysql.existingSecret is for the StatefulSet: with mysql.external use external.credentialsSecretName',
        holds: (self: { external?: unknown; existingSecret?: string }) => !self.external || !self.existingSecret,
      },
      {
        rule: '!has(self.external) || !has(self.storage.storageClassName)',
        message: 'mysql.storage belongs to the StatefulSet: not with mysql.external',
        holds: (self: { external?: unknown; storage: { storageClassName?: string } }) =>
          !self.external || self.storage.storageClassName === undefined,
      },
    ),
  },
);

export const ingestSpecSchema = Type.Object(
  {
    replicas: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
    image: image(defaultImage('ingest')),
    imagePullPolicy: imagePullPolicy(),
    resources: resources({ cpu: '100m', memory: '128Mi' }, { memory: '256Mi' }),
    serviceType: enumOf(['ClusterIP', 'NodePort', 'LoadBalancer'] as const, { default: 'ClusterIP' }),
    apiKeysSecret: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Secret of the ingest API's keys (key 'api-keys': name:key or name:key:scope,scope entries, one per line; scopes orders:write, orders:read, none: every scope). Mounted into ingest, which reloads it when it changes. Unset: the operator generates one key once, in the Secret <name>-ingest-api-keys",
      }),
    ),
  },
  { default: {} },
);

/**
 * How the processor follows the load: replicas = clamp(ceil(total lag / lagThreshold),
 * minReplicas, min(maxReplicas, partitions)), up at once, down after a stabilization window and by a
 * bounded step. `builtin`: the operator reads the consumer group's lag and writes the replicas;
 * `keda`: the operator emits a KEDA ScaledObject (Kafka trigger) and leaves the replicas to KEDA.
 */
export const autoscalingSpecSchema = Type.Object(
  {
    mode: enumOf(['builtin', 'keda'] as const, {
      default: 'builtin',
      description: 'builtin: the operator scales from the consumer lag; keda: a KEDA ScaledObject does',
    }),
    consumerGroup: Type.String({
      pattern: '^[A-Za-z0-9._-]+$',
      minLength: 1,
      maxLength: 249,
      default: 'salespipeline-processor',
      description: 'Kafka consumer group of the processor (PROCESSOR_GROUP_ID); its lag drives the scaling',
    }),
    pollingSeconds: Type.Integer({
      minimum: 1,
      maximum: 300,
      default: 5,
      description: 'How often the lag is read (KEDA: pollingInterval)',
    }),
    scaleDown: Type.Object(
      {
        stabilizationSeconds: Type.Integer({
          minimum: 0,
          maximum: 3600,
          default: 300,
          description: 'Scale down only when every recommendation of this window is lower',
        }),
        step: Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Most replicas removed per period' }),
        periodSeconds: Type.Integer({
          minimum: 1,
          maximum: 1800,
          default: 30,
          description: 'Period of the scale-down step',
        }),
      },
      { default: {} },
    ),
    stuckAfterPolls: Type.Integer({
      minimum: 2,
      maximum: 10000,
      default: 12,
      description:
        'A partition with lag whose committed offset has not moved for this many polls, while others progress, is reported as stuck and not chased',
    }),
  },
  { default: {} },
);

export const processorSpecSchema = Type.Object(
  {
    minReplicas: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    maxReplicas: Type.Integer({ minimum: 1, maximum: 100, default: 6 }),
    lagThreshold: Type.Integer({
      minimum: 1,
      default: 10000,
      description: 'Consumer lag per replica before scaling out',
    }),
    image: image(defaultImage('processor')),
    imagePullPolicy: imagePullPolicy(),
    resources: resources({ cpu: '200m', memory: '256Mi' }, { memory: '512Mi' }),
    autoscaling: autoscalingSpecSchema,
  },
  {
    default: {},
    ...cel({
      rule: 'self.maxReplicas >= self.minReplicas',
      message: 'maxReplicas must be >= minReplicas',
      holds: (self: { minReplicas: number; maxReplicas: number }) => self.maxReplicas >= self.minReplicas,
    }),
  },
);

export const dashboardSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    replicas: Type.Integer({ minimum: 0, maximum: 20, default: 1 }),
    image: image(defaultImage('dashboard')),
    imagePullPolicy: imagePullPolicy(),
  },
  { default: {} },
);

export const monitoringSpecSchema = Type.Object(
  {
    serviceMonitor: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        interval: Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', default: '30s' }),
      },
      { default: {} },
    ),
    grafanaDashboards: Type.Object({ enabled: Type.Boolean({ default: false }) }, { default: {} }),
  },
  { default: {} },
);

const namespaceName = (description: string, def?: string) =>
  Type.String({
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    minLength: 1,
    maxLength: 63,
    description,
    ...(def === undefined ? {} : { default: def }),
  });

/**
 * NetworkPolicies (ingress only): every pod of the pipeline is isolated and admits only its clients.
 * Namespaces are matched by their kubernetes.io/metadata.name label (set by the apiserver).
 */
export const networkPoliciesSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Generate the NetworkPolicies' }),
    dashboardNamespaces: Type.Optional(
      Type.Array(namespaceName('Namespace'), {
        maxItems: 32,
        description: 'Namespaces allowed to reach the dashboard (unset: from anywhere, like the ingest API)',
      }),
    ),
    monitoringNamespace: namespaceName('Namespace of Prometheus (scrapes the metrics ports)', 'monitoring'),
    operatorNamespace: namespaceName(
      'Namespace of the SalesPipeline operator (reads the consumer lag from Kafka)',
      'salespipeline-system',
    ),
    k8ssandraNamespace: namespaceName(
      'Namespace of k8ssandra-operator and cass-operator (reach the Cassandra management API)',
      'k8ssandra-operator',
    ),
    kedaNamespace: namespaceName('Namespace of KEDA (reads the consumer lag; autoscaling mode keda)', 'keda'),
  },
  { default: {} },
);

/** Where the pipeline's pods run (the apps, MySQL): e.g. dedicated nodes that carry a taint. */
export const placementSpecSchema = Type.Object(
  {
    nodeSelector: Type.Optional(stringMap('Node labels every pod of the pipeline requires')),
    tolerations: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.Optional(Type.String({ maxLength: 317 })),
          operator: Type.Optional(enumOf(['Exists', 'Equal'] as const)),
          value: Type.Optional(Type.String({ maxLength: 63 })),
          effect: Type.Optional(enumOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
          tolerationSeconds: Type.Optional(Type.Integer()),
        }),
        { maxItems: 16, description: 'Taints the pods tolerate' },
      ),
    ),
  },
  { default: {} },
);

export const specSchema = Type.Object(
  {
    deletionPolicy: enumOf(['Retain', 'Delete'] as const, {
      default: 'Retain',
      description: 'What happens to the PersistentVolumeClaims on deletion',
    }),
    kafka: kafkaSpecSchema,
    cassandra: cassandraSpecSchema,
    mysql: mysqlSpecSchema,
    ingest: ingestSpecSchema,
    processor: processorSpecSchema,
    dashboard: dashboardSpecSchema,
    monitoring: monitoringSpecSchema,
    networkPolicies: networkPoliciesSpecSchema,
    placement: placementSpecSchema,
  },
  {
    default: {},
    ...cel(
      {
        rule: 'self.processor.maxReplicas <= self.kafka.topics.partitions',
        message: 'processor.maxReplicas must not exceed kafka.topics.partitions (extra consumers would sit idle)',
        holds: (self: { processor: { maxReplicas: number }; kafka: { topics: { partitions: number } } }) =>
          self.processor.maxReplicas <= self.kafka.topics.partitions,
      },
      {
        rule: "self.kafka.authentication == 'none' || self.processor.autoscaling.mode != 'keda'",
        message:
          'processor.autoscaling.mode keda needs kafka.authentication none (no KEDA TriggerAuthentication is generated yet)',
        holds: (self: { kafka: { authentication: string }; processor: { autoscaling: { mode: string } } }) =>
          self.kafka.authentication === 'none' || self.processor.autoscaling.mode !== 'keda',
      },
      {
        rule: "!has(self.kafka.external) || self.processor.autoscaling.mode != 'keda'",
        message: 'processor.autoscaling.mode keda needs the Strimzi Kafka (no KEDA trigger for kafka.external yet)',
        holds: (self: { kafka: { external?: unknown }; processor: { autoscaling: { mode: string } } }) =>
          !self.kafka.external || self.processor.autoscaling.mode !== 'keda',
      },
    ),
  },
);

export const conditionTypes = [
  'KafkaReady',
  'CassandraReady',
  'MySQLReady',
  'IngestReady',
  'ProcessorReady',
  'Ready',
] as const;
export type ConditionType = (typeof conditionTypes)[number];

export const phases = ['Pending', 'Provisioning', 'Ready', 'Degraded', 'Invalid', 'Paused', 'Deleting'] as const;
export type Phase = (typeof phases)[number];

/** The metav1.Condition shape. */
export const conditionSchema = Type.Object({
  type: Type.String({ maxLength: 316 }),
  status: enumOf(['True', 'False', 'Unknown'] as const),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  reason: Type.String({ maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
  message: Type.String({ maxLength: 32768 }),
});

/** What the autoscaler saw and decided last (written by the operator's autoscaler, its own field manager). */
export const autoscalingStatusSchema = Type.Object({
  mode: Type.Optional(Type.String()),
  observedTime: Type.Optional(Type.String({ format: 'date-time' })),
  partitions: Type.Optional(Type.Integer({ minimum: 0 })),
  totalLag: Type.Optional(Type.Integer({ minimum: 0 })),
  maxLag: Type.Optional(Type.Integer({ minimum: 0 })),
  laggingPartitions: Type.Optional(Type.Integer({ minimum: 0 })),
  stuckPartitions: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 1000 })),
  lag: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Lag per partition, "partition=lag", largest first' }),
  ),
  currentReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  desiredReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  error: Type.Optional(Type.String({ maxLength: 1024, description: 'Why the last lag read failed' })),
  lastDecision: Type.Optional(
    Type.Object({
      time: Type.String({ format: 'date-time' }),
      direction: Type.String(),
      from: Type.Integer({ minimum: 0 }),
      to: Type.Integer({ minimum: 0 }),
      reason: Type.String({ maxLength: 1024 }),
    }),
  ),
});

export const statusSchema = Type.Object({
  phase: Type.Optional(enumOf(phases)),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(
    Type.Array(conditionSchema, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  ),
  endpoints: Type.Optional(
    Type.Object({
      kafkaBootstrap: Type.Optional(Type.String()),
      cassandra: Type.Optional(Type.String()),
      mysql: Type.Optional(Type.String()),
      ingest: Type.Optional(Type.String()),
      dashboard: Type.Optional(Type.String()),
    }),
  ),
  processors: Type.Optional(Type.String({ description: 'ready/desired processor replicas' })),
  autoscaling: Type.Optional(autoscalingStatusSchema),
});

export type SalesPipelineSpec = Static<typeof specSchema>;
export type SalesPipelineStatus = Static<typeof statusSchema>;
export type AutoscalingSpec = Static<typeof autoscalingSpecSchema>;
export type KafkaAuthentication = SalesPipelineSpec['kafka']['authentication'];
export type AutoscalingStatus = Static<typeof autoscalingStatusSchema>;
export type Condition = Static<typeof conditionSchema>;

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** What a user writes: every field with a default may be left out. */
export type SalesPipelineSpecInput = DeepPartial<SalesPipelineSpec>;

/** A SalesPipeline's metadata: always namespaced. */
export interface ObjectMeta extends KubeObjectMeta {
  namespace: string;
}

/** A SalesPipeline as read from the apiserver (spec possibly not yet defaulted or valid). */
export interface SalesPipeline extends KubeObject {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  metadata: ObjectMeta;
  spec?: SalesPipelineSpecInput;
  status?: SalesPipelineStatus;
}

export type { Static, TSchema };
