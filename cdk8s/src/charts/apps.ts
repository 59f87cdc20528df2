/** The data-plane apps: ingest, processor (with its schema migration) and dashboard, wired to the stores. */
import { appPortVariables, opsPortVariables, processorNodeOptions, replicationCql } from '@salespipeline/shared';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { ScaledObject } from '../../imports/keda.sh.js';
import { childKinds } from '../kinds.js';
import { cassandraNames, keyspaceReplication } from './cassandra.js';
import { cassandraLogin, cassandraRolesSecret, cassandraRolesToCreate, type CassandraApp } from './cassandra-roles.js';
import { commonLabels, externalSecretKeys, fromSecret, names, selectorLabels, type Context } from './context.js';
import { kafkaBootstrapServers } from './kafka.js';
import { mysqlPort, mysqlUrlKeys } from './mysql.js';
import { placement, restrictedContainer, restrictedPod, scratchDirs } from './pods.js';

export const appPort = 8080;
/** Ingest's ops port (/metrics /healthz /readyz): its API port is public, the metrics are not. */
export const ingestOpsPort = 9090;
/** Where ingest's key Secret is mounted (a volume, not env, so a rotated key arrives without a restart). */
export const ingestKeysMount = '/etc/salespipeline/ingest-api-keys';
/** Label of a Service the ServiceMonitor does not scrape (ingest's public Service has no /metrics). */
export const noScrapeLabel = 'salespipeline.io/scrape';
/** The user of the app images (distroless "nonroot"). */
export const appUid = 65532;

/** The ingest API's keys: a Secret with `api-keys` = name:key[:scope,...] entries (generated, or spec.ingest.apiKeysSecret). */
export const ingestApiKeys = {
  generatedSecret: (sp: string) => `${sp}-ingest-api-keys`,
  secretKey: 'api-keys',
  /** Name of the generated key in the generated Secret. */
  generatedName: 'operator',
} as const;
type App = 'ingest' | 'processor' | 'dashboard';

/**
 * Processor replicas: what the built-in autoscaler decided, else minReplicas; always within
 * bounds. Undefined in KEDA mode: KEDA's HPA owns the field, so the operator's apply leaves it out.
 */
export function processorReplicas(ctx: Context): number | undefined {
  const { minReplicas, maxReplicas, autoscaling } = ctx.spec.processor;
  if (autoscaling.mode === 'keda') return undefined;
  const wanted = ctx.observed.processorReplicas ?? minReplicas;
  return Math.min(maxReplicas, Math.max(minReplicas, Math.round(wanted)));
}

/** The endpoints the apps are given, also reported in the SalesPipeline status. */
export function endpoints(owner: { name: string; namespace: string }, spec: Context['spec']) {
  const n = names(owner.name);
  const { cassandra, mysql } = spec;
  const cass = cassandraNames(cassandra.clusterName, cassandra.datacenter.name);
  return {
    kafkaBootstrap: kafkaBootstrapServers(owner, spec).join(','),
    cassandra: cassandra.external ? cassandra.external.contactPoints.join(',') : `${cass.service}:9042`,
    mysql: mysql.external
      ? `${mysql.external.host}:${mysql.external.port}`
      : `${n.mysql}.${owner.namespace}.svc:${mysqlPort}`,
    ingest: `http://${n.app('ingest')}:${appPort}`,
    ...(spec.dashboard.enabled ? { dashboard: `http://${n.app('dashboard')}:${appPort}` } : {}),
  };
}

/** An external Kafka's SASL and TLS settings, from the Secrets its spec names. */
function externalKafkaAuthEnv(external: NonNullable<Context['spec']['kafka']['external']>): k8s.EnvVar[] {
  const k = externalSecretKeys;
  return [
    ...(external.sasl
      ? [
          { name: 'KAFKA_SASL_MECHANISM', value: external.sasl.mechanism },
          { name: 'KAFKA_SASL_USERNAME', ...fromSecret(external.sasl.secretName, k.username) },
          { name: 'KAFKA_SASL_PASSWORD', ...fromSecret(external.sasl.secretName, k.password) },
        ]
      : []),
    ...(external.tls
      ? [
          { name: 'KAFKA_SSL', value: 'true' },
          ...(external.tls.caSecretName
            ? [{ name: 'KAFKA_SSL_CA', ...fromSecret(external.tls.caSecretName, k.ca) }]
            : []),
          ...(external.tls.clientCertSecretName
            ? [
                { name: 'KAFKA_SSL_CERT', ...fromSecret(external.tls.clientCertSecretName, k.cert) },
                { name: 'KAFKA_SSL_KEY', ...fromSecret(external.tls.clientCertSecretName, k.key) },
              ]
            : []),
        ]
      : []),
  ];
}

/** The Kafka credentials of an app: its KafkaUser's (Secrets written by Strimzi), or the external Kafka's. */
function kafkaAuthEnv(ctx: Context, app: 'ingest' | 'processor'): k8s.EnvVar[] {
  if (ctx.spec.kafka.external) return externalKafkaAuthEnv(ctx.spec.kafka.external);
  const n = names(ctx.owner.name);
  const user = n.kafkaUser(app);
  switch (ctx.spec.kafka.authentication) {
    case 'none':
      return [];
    case 'scram-sha-512':
      return [
        { name: 'KAFKA_SASL_MECHANISM', value: 'scram-sha-512' },
        { name: 'KAFKA_SASL_USERNAME', value: user },
        { name: 'KAFKA_SASL_PASSWORD', ...fromSecret(user, 'password') },
      ];
    case 'tls':
      return [
        { name: 'KAFKA_SSL', value: 'true' },
        { name: 'KAFKA_SSL_CA', ...fromSecret(n.clusterCaSecret, 'ca.crt') },
        { name: 'KAFKA_SSL_CERT', ...fromSecret(user, 'user.crt') },
        { name: 'KAFKA_SSL_KEY', ...fromSecret(user, 'user.key') },
      ];
  }
}

function env(
  ctx: Context,
  app: App,
  needs: { kafka?: boolean; cassandra?: CassandraApp | 'superuser'; mysql?: 'processor' | 'dashboard' },
): k8s.EnvVar[] {
  const { cassandra } = ctx.spec;
  const n = names(ctx.owner.name);
  const e = endpoints(ctx.owner, ctx.spec);
  return [
    { name: appPortVariables[app], value: String(appPort) },
    ...(needs.kafka && app !== 'dashboard'
      ? [
          { name: 'KAFKA_BROKERS', value: e.kafkaBootstrap },
          { name: 'ORDERS_TOPIC', value: ctx.spec.kafka.topics.name },
          ...kafkaAuthEnv(ctx, app),
        ]
      : []),
    ...(needs.cassandra
      ? [
          { name: 'CASSANDRA_CONTACT_POINTS', value: e.cassandra },
          { name: 'CASSANDRA_LOCAL_DC', value: cassandra.external?.localDatacenter ?? cassandra.datacenter.name },
          ...cassandraLogin(ctx, needs.cassandra),
        ]
      : []),
    // Each app connects as its own MySQL user (processor: read-write + migrations; dashboard: read-only).
    ...(needs.mysql
      ? [{ name: 'MYSQL_URL', valueFrom: { secretKeyRef: { name: n.mysqlUrlSecret, key: mysqlUrlKeys[needs.mysql] } } }]
      : []),
  ];
}

const quantitySuffixes: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Whole CPUs of a quantity (the CRD's pattern), rounded up: "100m" → 1, "1500m" → 2, "2" → 2. */
const wholeCpus = (quantity: string): number => {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  const factor = m ? quantitySuffixes[m[2]!] : undefined;
  if (!m || factor === undefined) throw new Error(`not a CPU quantity: ${quantity}`);
  return Math.max(1, Math.ceil(Number(m[1]) * factor - 1e-9));
};

/**
 * Ingest processes per pod (INGEST_WORKERS): the pod's CPU limit, else its request, in whole CPUs.
 * Set here because without a limit the process would count the node's CPUs, whatever the memory limit.
 */
export function ingestWorkers(resources: { requests?: { cpu?: string }; limits?: { cpu?: string } } | undefined) {
  const cpu = resources?.limits?.cpu ?? resources?.requests?.cpu;
  return cpu === undefined ? undefined : wholeCpus(cpu);
}

const quantities = (list: { cpu?: string; memory?: string } | undefined) =>
  list &&
  Object.fromEntries(Object.entries(list).map(([key, value]) => [key, k8s.Quantity.fromString(value as string)]));

interface DeploymentOptions {
  replicas: number | undefined;
  image: string;
  imagePullPolicy: string;
  env: k8s.EnvVar[];
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  initContainers?: k8s.Container[];
  /** A separate ops port (named `ops`), which the probes then use. */
  opsPort?: number;
  volumes?: k8s.Volume[];
  volumeMounts?: k8s.VolumeMount[];
}

function deployment(chart: Chart, ctx: Context, app: App, opts: DeploymentOptions) {
  const sp = ctx.owner.name;
  const labels = commonLabels(sp, app);
  const scratch = scratchDirs({ tmp: '/tmp' });
  new k8s.KubeDeployment(chart, `${app}-deployment`, {
    metadata: { name: names(sp).app(app), labels },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      selector: { matchLabels: selectorLabels(sp, app) },
      template: {
        metadata: { labels },
        spec: {
          ...placement(ctx),
          securityContext: restrictedPod(appUid),
          ...(opts.initContainers
            ? {
                initContainers: opts.initContainers.map((c) => ({
                  ...c,
                  securityContext: restrictedContainer,
                  volumeMounts: scratch.volumeMounts,
                })),
              }
            : {}),
          volumes: [...scratch.volumes, ...(opts.volumes ?? [])],
          containers: [appContainer(app, opts, scratch.volumeMounts)],
        },
      },
    },
  });
}

/** The app's one container: its ports, probes (on the ops port if it has one) and resources. */
function appContainer(app: App, opts: DeploymentOptions, scratchMounts: k8s.VolumeMount[]): k8s.Container {
  const probePort = k8s.IntOrString.fromString(opts.opsPort ? 'ops' : 'http');
  return {
    name: app,
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy,
    securityContext: restrictedContainer,
    ports: [
      { name: 'http', containerPort: appPort },
      ...(opts.opsPort ? [{ name: 'ops', containerPort: opts.opsPort }] : []),
    ],
    env: opts.env,
    volumeMounts: [...scratchMounts, ...(opts.volumeMounts ?? [])],
    readinessProbe: { httpGet: { path: '/readyz', port: probePort }, periodSeconds: 5 },
    livenessProbe: {
      httpGet: { path: '/healthz', port: probePort },
      periodSeconds: 10,
      failureThreshold: 6,
    },
    ...(opts.resources
      ? {
          resources: {
            ...(opts.resources.requests ? { requests: quantities(opts.resources.requests) } : {}),
            ...(opts.resources.limits ? { limits: quantities(opts.resources.limits) } : {}),
          },
        }
      : {}),
  };
}

function service(
  chart: Chart,
  ctx: Context,
  app: App,
  opts: { type?: string; name?: string; port?: { name: string; number: number }; scraped?: boolean } = {},
) {
  const sp = ctx.owner.name;
  const port = opts.port ?? { name: 'http', number: appPort };
  new k8s.KubeService(chart, `${opts.name ?? app}-service`, {
    metadata: {
      name: opts.name ?? names(sp).app(app),
      labels: { ...commonLabels(sp, app), ...(opts.scraped === false ? { [noScrapeLabel]: 'false' } : {}) },
    },
    spec: {
      type: opts.type ?? 'ClusterIP',
      selector: selectorLabels(sp, app),
      ports: [{ name: port.name, port: port.number, targetPort: k8s.IntOrString.fromString(port.name) }],
    },
  });
}

function pdb(chart: Chart, ctx: Context, app: App) {
  const sp = ctx.owner.name;
  new k8s.KubePodDisruptionBudget(chart, `${app}-pdb`, {
    metadata: { name: names(sp).app(app), labels: commonLabels(sp, app) },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(sp, app) } },
  });
}

export function desiredApps(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'apps', { disableResourceNameHashes: true });
  ingestApp(chart, ctx);
  processorApp(chart, ctx);
  if (ctx.spec.dashboard.enabled) dashboardApp(chart, ctx);
  return chart;
}

function ingestApp(chart: Chart, ctx: Context) {
  const { ingest } = ctx.spec;
  // Clients authenticate with an API key (INGEST_API_KEYS, read from a Secret, never a literal).
  const keysSecret = ingest.apiKeysSecret ?? ingestApiKeys.generatedSecret(ctx.owner.name);
  if (!ingest.apiKeysSecret && ctx.observed.ingestApiKey) {
    new k8s.KubeSecret(chart, 'ingest-api-keys', {
      metadata: { name: keysSecret, labels: commonLabels(ctx.owner.name, 'ingest') },
      type: 'Opaque',
      data: {
        [ingestApiKeys.secretKey]: Buffer.from(`${ingestApiKeys.generatedName}:${ctx.observed.ingestApiKey}`).toString(
          'base64',
        ),
      },
    });
  }
  const workers = ingestWorkers(ingest.resources);
  deployment(chart, ctx, 'ingest', {
    replicas: ingest.replicas,
    image: ingest.image,
    imagePullPolicy: ingest.imagePullPolicy,
    env: [
      ...env(ctx, 'ingest', { kafka: true }),
      { name: opsPortVariables.ingest, value: String(ingestOpsPort) },
      { name: 'INGEST_API_KEYS_FILE', value: `${ingestKeysMount}/${ingestApiKeys.secretKey}` },
      ...(workers === undefined ? [] : [{ name: 'INGEST_WORKERS', value: String(workers) }]),
    ],
    resources: ingest.resources,
    opsPort: ingestOpsPort,
    // A whole-Secret volume (no subPath, which Kubernetes never updates): a rotated key is reloaded.
    volumes: [{ name: 'api-keys', secret: { secretName: keysSecret } }],
    volumeMounts: [{ name: 'api-keys', mountPath: ingestKeysMount, readOnly: true }],
  });
  // The public Service carries the API only; the metrics have their own in-cluster Service.
  service(chart, ctx, 'ingest', { type: ingest.serviceType, scraped: false });
  service(chart, ctx, 'ingest', {
    name: names(ctx.owner.name).ingestMetrics,
    port: { name: 'ops', number: ingestOpsPort },
  });
  pdb(chart, ctx, 'ingest');
}

function processorApp(chart: Chart, ctx: Context) {
  const { processor } = ctx.spec;
  const processorEnv = (cassandra: 'processor' | 'superuser') => [
    ...env(ctx, 'processor', { kafka: true, cassandra, mysql: 'processor' }),
    { name: 'PROCESSOR_GROUP_ID', value: processor.autoscaling.consumerGroup },
    { name: 'CASSANDRA_REPLICATION', value: replicationCql(keyspaceReplication(ctx.spec)) },
  ];
  cassandraRolesSecret(chart, ctx);
  deployment(chart, ctx, 'processor', {
    replicas: processorReplicas(ctx),
    image: processor.image,
    imagePullPolicy: processor.imagePullPolicy,
    env: [...processorEnv('processor'), { name: 'NODE_OPTIONS', value: processorNodeOptions }],
    resources: processor.resources,
    // Schema init (Cassandra keyspace/tables and the apps' roles, MySQL aggregates) before any processor
    // starts; idempotent. The only container that logs in to Cassandra as the superuser.
    initContainers: [
      {
        name: 'migrate',
        image: processor.image,
        imagePullPolicy: processor.imagePullPolicy,
        args: ['migrate'],
        env: [...processorEnv('superuser'), ...cassandraRolesToCreate(ctx)],
      },
    ],
  });
  service(chart, ctx, 'processor');
  pdb(chart, ctx, 'processor');
  if (processor.autoscaling.mode === 'keda') scaledObject(chart, ctx);
}

function dashboardApp(chart: Chart, ctx: Context) {
  const { dashboard } = ctx.spec;
  deployment(chart, ctx, 'dashboard', {
    replicas: dashboard.replicas,
    image: dashboard.image,
    imagePullPolicy: dashboard.imagePullPolicy,
    env: env(ctx, 'dashboard', { cassandra: 'dashboard', mysql: 'dashboard' }),
  });
  service(chart, ctx, 'dashboard');
}

/**
 * KEDA mode: a ScaledObject on the processor Deployment with KEDA's Kafka trigger. The same knobs as
 * the built-in autoscaler: lagThreshold per replica, at most one consumer per partition
 * (allowIdleConsumers false), min/max, and the scale-down window and step as HPA behavior.
 */
function scaledObject(chart: Chart, ctx: Context) {
  const sp = ctx.owner.name;
  const { processor, kafka } = ctx.spec;
  const a = processor.autoscaling;
  new ScaledObject(chart, 'processor-scaledobject', {
    metadata: { name: names(sp).app('processor'), labels: commonLabels(sp, 'processor') },
    spec: {
      scaleTargetRef: {
        apiVersion: childKinds.deployment.apiVersion,
        kind: childKinds.deployment.kind,
        name: names(sp).app('processor'),
      },
      minReplicaCount: processor.minReplicas,
      maxReplicaCount: Math.min(processor.maxReplicas, kafka.topics.partitions),
      pollingInterval: a.pollingSeconds,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0 },
            scaleDown: {
              stabilizationWindowSeconds: a.scaleDown.stabilizationSeconds,
              policies: [{ type: 'Pods', value: a.scaleDown.step, periodSeconds: a.scaleDown.periodSeconds }],
            },
          },
        },
      },
      triggers: [
        {
          type: 'kafka',
          metadata: {
            // KEDA runs in its own namespace: the fully qualified Service name.
            bootstrapServers: kafkaBootstrapServers(ctx.owner, ctx.spec, true).join(','),
            consumerGroup: a.consumerGroup,
            topic: kafka.topics.name,
            lagThreshold: String(processor.lagThreshold),
            offsetResetPolicy: 'earliest',
            allowIdleConsumers: 'false',
            limitToPartitionsWithLag: 'false',
            scaleToZeroOnInvalidOffset: 'false',
          },
        },
      ],
    },
  });
}
