/**
 * Status of a SalesPipeline: metav1 Conditions read from the children (Strimzi's Ready condition,
 * K8ssandra's cassandraOperatorProgress, StatefulSet/Deployment availability) and the phase.
 */
import type { Condition, ConditionType, Phase, SalesPipelineStatus } from '@salespipeline/cdk8s';
import { isoSeconds } from '@salespipeline/shared';
import type { KubeObject } from '../kube/objects.js';

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Sets a condition, keeping lastTransitionTime unless the status changes (metav1 semantics). */
export function setCondition(
  conditions: Condition[],
  input: ConditionInput,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const old = conditions.find((c) => c.type === input.type);
  const lastTransitionTime = old && old.status === input.status ? old.lastTransitionTime : isoSeconds(now);
  const next: Condition = { ...input, observedGeneration, lastTransitionTime };
  return [...conditions.filter((c) => c.type !== input.type), next];
}

type Status = Record<string, unknown> | undefined;
const statusOf = (o: KubeObject | undefined) => o?.status as Status;
const conditionsOf = (s: Status) =>
  (s?.conditions as Array<{ type: string; status: string; message?: string; reason?: string }>) ?? [];

const missing = (type: ConditionType, what: string): ConditionInput => ({
  type,
  status: 'False',
  reason: 'NotCreated',
  message: `${what} does not exist yet`,
});

/** Strimzi Kafka: its Ready condition. */
export function kafkaCondition(kafka: KubeObject | undefined): ConditionInput {
  if (!kafka) return missing('KafkaReady', 'Kafka');
  const ready = conditionsOf(statusOf(kafka)).find((c) => c.type === 'Ready');
  const notReady = conditionsOf(statusOf(kafka)).find((c) => c.type === 'NotReady');
  if (ready?.status === 'True')
    return { type: 'KafkaReady', status: 'True', reason: 'StrimziReady', message: 'Kafka is ready' };
  return {
    type: 'KafkaReady',
    status: 'False',
    reason: ready || notReady ? 'StrimziNotReady' : 'Provisioning',
    message: (ready?.message ?? notReady?.message ?? 'waiting for Strimzi to report Ready').slice(0, 1000),
  };
}

/** K8ssandraCluster: the datacenter's cassandraOperatorProgress (and its Ready condition, when present). */
export function cassandraCondition(cluster: KubeObject | undefined, dc: string): ConditionInput {
  if (!cluster) return missing('CassandraReady', 'K8ssandraCluster');
  const dcs = (statusOf(cluster)?.datacenters ?? {}) as Record<string, { cassandra?: Record<string, unknown> }>;
  const cass = dcs[dc]?.cassandra;
  const progress = cass?.cassandraOperatorProgress as string | undefined;
  const ready = conditionsOf(cass).find((c) => c.type === 'Ready');
  if (progress === 'Ready' && (!ready || ready.status === 'True'))
    return { type: 'CassandraReady', status: 'True', reason: 'DatacenterReady', message: `datacenter ${dc} is ready` };
  return {
    type: 'CassandraReady',
    status: 'False',
    reason: progress ? `Progress${progress.replace(/[^A-Za-z0-9]/g, '')}` : 'Provisioning',
    message: `datacenter ${dc}: cassandraOperatorProgress=${progress ?? 'unset'}`,
  };
}

/** An external data service (spec.*.external): ready when it accepts connections. */
export function externalCondition(
  type: ConditionType,
  what: string,
  probe: { ok: true; address: string } | { ok: false; error: string },
): ConditionInput {
  return probe.ok
    ? {
        type,
        status: 'True',
        reason: 'ExternalReachable',
        message: `external ${what} accepts connections at ${probe.address}`,
      }
    : {
        type,
        status: 'False',
        reason: 'ExternalUnreachable',
        message: `external ${what}: ${probe.error}`.slice(0, 1000),
      };
}

const upToDate = (o: KubeObject) =>
  ((statusOf(o)?.observedGeneration as number | undefined) ?? 0) >= (o.metadata.generation ?? 0);

export function statefulSetCondition(sts: KubeObject | undefined): ConditionInput {
  if (!sts) return missing('MySQLReady', 'MySQL StatefulSet');
  const ready = (statusOf(sts)?.readyReplicas as number | undefined) ?? 0;
  if (ready >= 1 && upToDate(sts))
    return { type: 'MySQLReady', status: 'True', reason: 'StatefulSetReady', message: 'MySQL is ready' };
  return { type: 'MySQLReady', status: 'False', reason: 'StatefulSetNotReady', message: `${ready}/1 replicas ready` };
}

export function deploymentCondition(type: ConditionType, deploy: KubeObject | undefined): ConditionInput {
  if (!deploy) return missing(type, 'Deployment');
  const available = conditionsOf(statusOf(deploy)).find((c) => c.type === 'Available');
  const spec = deploy.spec as { replicas?: number } | undefined;
  const readyReplicas = (statusOf(deploy)?.readyReplicas as number | undefined) ?? 0;
  if (available?.status === 'True' && upToDate(deploy))
    return {
      type,
      status: 'True',
      reason: 'DeploymentAvailable',
      message: `${readyReplicas}/${spec?.replicas ?? 1} ready`,
    };
  return {
    type,
    status: 'False',
    reason: 'DeploymentUnavailable',
    message: available?.message ?? `${readyReplicas}/${spec?.replicas ?? 1} ready`,
  };
}

export function processorsSummary(deploy: KubeObject | undefined): string {
  const ready = (statusOf(deploy)?.readyReplicas as number | undefined) ?? 0;
  return `${ready}/${(deploy?.spec as { replicas?: number } | undefined)?.replicas ?? 0}`;
}

/** Ready (all True), else Degraded if it had been Ready, else Provisioning. */
export function phaseOf(conditions: Condition[], previous: Phase | undefined): Phase {
  const parts = conditions.filter((c) => c.type !== 'Ready');
  if (parts.length > 0 && parts.every((c) => c.status === 'True')) return 'Ready';
  return previous === 'Ready' || previous === 'Degraded' ? 'Degraded' : 'Provisioning';
}

export function readyCondition(conditions: Condition[]): ConditionInput {
  const notReady = conditions.filter((c) => c.type !== 'Ready' && c.status !== 'True').map((c) => c.type);
  return notReady.length === 0
    ? { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: 'all components are ready' }
    : { type: 'Ready', status: 'False', reason: 'ComponentsNotReady', message: `not ready: ${notReady.join(', ')}` };
}

/** Status equality for deciding whether to write (ignores condition order). */
export function sameStatus(a: SalesPipelineStatus | undefined, b: SalesPipelineStatus): boolean {
  const norm = (s: SalesPipelineStatus | undefined) =>
    JSON.stringify({ ...s, conditions: [...(s?.conditions ?? [])].sort((x, y) => x.type.localeCompare(y.type)) });
  return norm(a) === norm(b);
}
