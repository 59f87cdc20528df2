/**
 * Sample SalesPipelines (k8s/samples/): a small one for a laptop (kind/minikube) and a
 * production-shaped one. Both must pass the CRD (a test applies them with server-side dry-run).
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { apiVersion, kind, type SalesPipelineSpecInput } from '../api/schema.js';

export interface Sample {
  /** Folder under k8s/samples/. */
  folder: string;
  namespace: string;
  name: string;
  description: string;
  spec: SalesPipelineSpecInput;
}

export const samples: Sample[] = [
  {
    folder: 'dev',
    namespace: 'salespipeline-dev',
    name: 'dev',
    description: 'One of everything, small volumes and requests: fits a kind or minikube cluster on a laptop.',
    spec: {
      deletionPolicy: 'Delete',
      kafka: { replicas: 1, storage: { size: '2Gi' }, topics: { partitions: 3, retentionHours: 24 } },
      cassandra: { datacenter: { size: 1 }, storage: { size: '5Gi' }, heapSize: '512M' },
      mysql: { storage: { size: '2Gi' } },
      ingest: {
        replicas: 1,
        resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
        serviceType: 'ClusterIP',
      },
      processor: {
        minReplicas: 1,
        maxReplicas: 3,
        lagThreshold: 5000,
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '384Mi' } },
      },
      dashboard: { enabled: true, replicas: 1 },
      monitoring: { serviceMonitor: { enabled: false }, grafanaDashboards: { enabled: false } },
    },
  },
  {
    folder: 'production',
    namespace: 'salespipeline',
    name: 'shop',
    description:
      'Production-shaped: 3 brokers and 3 Cassandra nodes, bigger volumes, autoscaled processors, monitoring on, volumes kept on deletion.',
    spec: {
      deletionPolicy: 'Retain',
      kafka: { replicas: 3, storage: { size: '100Gi' }, topics: { partitions: 24, retentionHours: 168 } },
      cassandra: {
        clusterName: 'shop',
        datacenter: { name: 'dc1', size: 3 },
        storage: { size: '200Gi' },
        heapSize: '4G',
      },
      mysql: { storage: { size: '50Gi' } },
      ingest: {
        replicas: 3,
        resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        serviceType: 'LoadBalancer',
      },
      processor: {
        minReplicas: 3,
        maxReplicas: 12,
        lagThreshold: 10000,
        resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } },
      },
      dashboard: { enabled: true, replicas: 2 },
      monitoring: { serviceMonitor: { enabled: true, interval: '15s' }, grafanaDashboards: { enabled: true } },
    },
  },
];

/** A Namespace and one SalesPipeline in it. */
export class SampleChart extends Chart {
  constructor(scope: Construct, id: string, sample: Sample) {
    super(scope, id, { disableResourceNameHashes: true });
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: sample.namespace, labels: { 'app.kubernetes.io/part-of': 'salespipeline' } },
    });
    new ApiObject(this, 'salespipeline', {
      apiVersion,
      kind,
      metadata: {
        name: sample.name,
        namespace: sample.namespace,
        annotations: { 'salespipeline.io/description': sample.description },
      },
      spec: sample.spec,
    });
  }
}

export function sampleObjects(sample: Sample) {
  return new SampleChart(new App(), sample.folder, sample).toJson() as Array<{
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    spec?: SalesPipelineSpecInput;
  }>;
}
