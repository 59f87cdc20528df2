/**
 * The operator's installation as cdk8s constructs: Namespace, the CRD and RBAC from the same
 * generators as crds/ (crd.ts, rbac.ts), the Deployment and the metrics Service. `make manifests` writes them
 * to k8s/operator/; the Helm chart (charts/salespipeline-operator) renders the same Deployment from
 * Go templates, and a test compares the two.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { defaultImage } from '../api/schema.js';
import { salesPipelineCrd } from '../crd.js';
import { operatorName, operatorNamespace, operatorRbac } from '../rbac.js';

/** Non-root uid/gid of the images (distroless "nonroot"). */
export const nonRootUid = 65532;
export const operatorImage = defaultImage('operator');
export const operatorMetricsPort = 8080;

export const operatorLabels = {
  'app.kubernetes.io/name': operatorName,
  'app.kubernetes.io/part-of': 'salespipeline',
  'app.kubernetes.io/component': 'operator',
} as const;
export const operatorSelector = { 'app.kubernetes.io/name': operatorName } as const;

/** Pod- and container-level security settings shared by k8s/ and the chart's defaults. */
export const podSecurityContext = {
  runAsNonRoot: true,
  runAsUser: nonRootUid,
  runAsGroup: nonRootUid,
  fsGroup: nonRootUid,
  seccompProfile: { type: 'RuntimeDefault' },
};
export const containerSecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};
export const operatorResources = { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } };

/** The operator's environment (operator/src/config.ts), as the Deployment sets it. */
export function operatorEnv(opts: { watchNamespace?: string; leaderElection?: boolean } = {}): k8s.EnvVar[] {
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return [
    ...(opts.watchNamespace ? [{ name: 'WATCH_NAMESPACE', value: opts.watchNamespace }] : []),
    { name: 'METRICS_PORT', value: String(operatorMetricsPort) },
    { name: 'WORKERS', value: '4' },
    { name: 'RESYNC_SECONDS', value: '300' },
    { name: 'LEADER_ELECTION', value: String(opts.leaderElection ?? true) },
    { name: 'LEADER_ELECTION_NAMESPACE', ...fieldRef('metadata.namespace') },
    { name: 'LEADER_ELECTION_ID', value: operatorName },
    { name: 'LEASE_DURATION_SECONDS', value: '15' },
    { name: 'RENEW_DEADLINE_SECONDS', value: '10' },
    { name: 'RETRY_PERIOD_SECONDS', value: '2' },
    { name: 'POD_NAME', ...fieldRef('metadata.name') },
    { name: 'LOG_LEVEL', value: 'info' },
  ];
}

const quantities = (list: Record<string, string>) =>
  Object.fromEntries(Object.entries(list).map(([k, v]) => [k, k8s.Quantity.fromString(v)]));

export interface OperatorInstallProps {
  namespace?: string;
  image?: string;
  replicas?: number;
}

/** Namespace, CRD, ServiceAccount + RBAC, Deployment and Service of the operator. */
export class OperatorInstall extends Chart {
  constructor(scope: Construct, id: string, props: OperatorInstallProps = {}) {
    const namespace = props.namespace ?? operatorNamespace;
    super(scope, id, { disableResourceNameHashes: true });
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'salespipeline' } },
    });
    new ApiObject(this, 'crd', salesPipelineCrd());
    for (const obj of operatorRbac(namespace)) new ApiObject(this, `${obj.kind}-${obj.metadata.name}`, obj);

    const metrics = k8s.IntOrString.fromString('metrics');
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: operatorName, namespace, labels: operatorLabels },
      spec: {
        replicas: props.replicas ?? 1,
        selector: { matchLabels: operatorSelector },
        template: {
          metadata: { labels: operatorLabels },
          spec: {
            serviceAccountName: operatorName,
            securityContext: podSecurityContext,
            containers: [
              {
                name: 'operator',
                image: props.image ?? operatorImage,
                imagePullPolicy: 'IfNotPresent',
                env: operatorEnv(),
                ports: [{ name: 'metrics', containerPort: operatorMetricsPort }],
                livenessProbe: { httpGet: { path: '/healthz', port: metrics }, periodSeconds: 10, failureThreshold: 6 },
                readinessProbe: { httpGet: { path: '/readyz', port: metrics }, periodSeconds: 5 },
                resources: {
                  requests: quantities(operatorResources.requests),
                  limits: quantities(operatorResources.limits),
                },
                securityContext: containerSecurityContext,
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name: `${operatorName}-metrics`, namespace, labels: operatorLabels },
      spec: {
        selector: operatorSelector,
        ports: [{ name: 'metrics', port: operatorMetricsPort, targetPort: metrics }],
      },
    });
  }
}

/** The objects of the operator install, in apply order (Namespace and CRD first). */
export function operatorInstallObjects(props: OperatorInstallProps = {}) {
  const app = new App();
  return new OperatorInstall(app, 'salespipeline-operator', props).toJson() as Array<{
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    [key: string]: unknown;
  }>;
}
