/**
 * NetworkPolicies, ingress only. Every pod of the pipeline is isolated (a default deny on
 * the pipeline's own pods) and each component admits only its clients:
 * - ingest: its API port from anywhere (the one public entry point), its ops port (metrics) from the
 *   monitoring namespace only;
 * - dashboard: its HTTP port from anywhere, or only from spec.networkPolicies.dashboardNamespaces;
 * - processor: its HTTP (metrics) port from the monitoring namespace only;
 * - MySQL: 3306 from the processor and the dashboard;
 * - Cassandra (cass-operator's pods): CQL from the processor and the dashboard, every port from the
 *   cluster's own nodes, the management API from K8ssandra's namespace, metrics from monitoring;
 * - Kafka: Strimzi generates the brokers' NetworkPolicy itself; the Kafka chart restricts its client
 *   listener with networkPolicyPeers (ingest, processor, the operator's namespace, KEDA's in keda mode).
 * Namespaces are matched by name (the kubernetes.io/metadata.name label the apiserver sets).
 */
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { labels as labelKeys } from '../kinds.js';
import { appPort, ingestOpsPort } from './apps.js';
import { cassandraClusterLabel } from './cassandra.js';
import { commonLabels, names, selectorLabels, type Context } from './context.js';
import { namespaceNameLabel } from './kafka.js';
import { mysqlPort } from './mysql.js';

export const cqlPort = 9042;
/** cass-operator's management API (k8ssandra-operator and cass-operator call it) and its metrics ports. */
export const cassandraManagementPort = 8080;
export const cassandraMetricsPorts = [9000, 9103] as const;

const tcp = (port: number | string) => ({
  protocol: 'TCP',
  port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
});
const namespaces = (...list: string[]): k8s.NetworkPolicyPeer => ({
  namespaceSelector: { matchExpressions: [{ key: namespaceNameLabel, operator: 'In', values: [...new Set(list)] }] },
});

export function desiredNetworkPolicies(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'network', { disableResourceNameHashes: true });
  const np = ctx.spec.networkPolicies;
  if (!np.enabled) return chart;
  const sp = ctx.owner.name;
  const n = names(sp);
  const pods = (component: string): k8s.NetworkPolicyPeer => ({
    podSelector: { matchLabels: selectorLabels(sp, component) },
  });
  const policy = (
    component: string,
    podSelector: k8s.LabelSelector,
    ingress: k8s.NetworkPolicyIngressRule[],
    id = component,
  ) =>
    new k8s.KubeNetworkPolicy(chart, id, {
      metadata: { name: n.networkPolicy(component), labels: commonLabels(sp, 'network-policy') },
      // No rules at all for a deny: an empty `ingress: []` is dropped on storage, and server-side apply
      // would then rewrite the object at every reconcile (a hot loop through the watch).
      spec: { podSelector, policyTypes: ['Ingress'], ...(ingress.length > 0 ? { ingress } : {}) },
    });

  // Default deny: any pod of this pipeline not admitted below receives nothing.
  policy(
    'default-deny',
    { matchLabels: { [labelKeys.instance]: sp, [labelKeys.partOf]: 'salespipeline' } },
    [],
    'default-deny',
  );
  policy('ingest', { matchLabels: selectorLabels(sp, 'ingest') }, [
    { ports: [tcp(appPort)] },
    { ports: [tcp(ingestOpsPort)], from: [namespaces(np.monitoringNamespace)] },
  ]);
  if (ctx.spec.dashboard.enabled) {
    const from = np.dashboardNamespaces
      ? [namespaces(...np.dashboardNamespaces, np.monitoringNamespace, ctx.owner.namespace)]
      : undefined;
    policy('dashboard', { matchLabels: selectorLabels(sp, 'dashboard') }, [
      { ports: [tcp(appPort)], ...(from ? { from } : {}) },
    ]);
  }
  policy('processor', { matchLabels: selectorLabels(sp, 'processor') }, [
    { ports: [tcp(appPort)], from: [namespaces(np.monitoringNamespace)] },
  ]);
  const stores = [pods('processor'), ...(ctx.spec.dashboard.enabled ? [pods('dashboard')] : [])];
  if (!ctx.spec.mysql.external)
    policy('mysql', { matchLabels: selectorLabels(sp, 'mysql') }, [{ ports: [tcp(mysqlPort)], from: stores }]);
  if (ctx.spec.cassandra.external) return chart;

  const cassandraPods = { matchLabels: { [cassandraClusterLabel]: ctx.spec.cassandra.clusterName } };
  policy('cassandra', cassandraPods, [
    { ports: [tcp(cqlPort)], from: stores },
    { from: [{ podSelector: cassandraPods }] },
    { ports: [tcp(cassandraManagementPort)], from: [namespaces(np.k8ssandraNamespace)] },
    { ports: cassandraMetricsPorts.map(tcp), from: [namespaces(np.monitoringNamespace)] },
  ]);
  return chart;
}
