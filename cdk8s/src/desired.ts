/**
 * desiredState: a SalesPipeline plus observed facts → the list of objects that should exist, built
 * as cdk8s charts and rendered in memory (Chart.toJson()). Pure: no I/O, no randomness, no clock.
 */
import { ApiObject, App, type Chart } from 'cdk8s';
import type { KubeObject } from './api/object.js';
import { apiVersion, kind, type SalesPipeline, type SalesPipelineSpec } from './api/schema.js';
import { checkSpec } from './api/validate.js';
import { desiredApps } from './charts/apps.js';
import { desiredCassandra } from './charts/cassandra.js';
import type { Context, Observed, Owner } from './charts/context.js';
import { desiredKafka } from './charts/kafka.js';
import { desiredMonitoring } from './charts/monitoring.js';
import { desiredMysql } from './charts/mysql.js';
import { desiredNetworkPolicies } from './charts/network.js';
import { maxNameLength } from './crd.js';

export type { KubeObject, KubeObjectMeta, OwnerReference } from './api/object.js';

export class InvalidSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid spec: ${problems.join('; ')}`);
    this.name = 'InvalidSpecError';
  }
}

export function ownerOf(sp: SalesPipeline): Owner {
  const { name, namespace, uid } = sp.metadata;
  if (!uid) throw new Error(`SalesPipeline ${namespace}/${name} has no uid (not read from the apiserver?)`);
  return { apiVersion, kind, name, namespace, uid };
}

/** The defaulted, valid spec of a SalesPipeline, or InvalidSpecError listing every problem. */
export function validSpec(sp: SalesPipeline): SalesPipelineSpec {
  const problems: string[] = [];
  if (sp.metadata.name.length > maxNameLength) problems.push(`metadata.name: at most ${maxNameLength} characters`);
  const checked = checkSpec(sp.spec);
  if (!checked.ok) problems.push(...checked.problems);
  if (problems.length > 0 || !checked.ok) throw new InvalidSpecError(problems);
  return checked.spec;
}

export const componentBuilders = {
  mysql: desiredMysql,
  kafka: desiredKafka,
  cassandra: desiredCassandra,
  apps: desiredApps,
  monitoring: desiredMonitoring,
  network: desiredNetworkPolicies,
} as const;

export function desiredFromContext(ctx: Context): KubeObject[] {
  const app = new App();
  const charts: Chart[] = Object.values(componentBuilders).map((build) => build(app, ctx));
  const ownerReference = {
    apiVersion: ctx.owner.apiVersion,
    kind: ctx.owner.kind,
    name: ctx.owner.name,
    uid: ctx.owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  for (const chart of charts) {
    for (const construct of chart.node.findAll()) {
      if (construct instanceof ApiObject) construct.metadata.addOwnerReference(ownerReference);
    }
  }
  return charts.flatMap((chart) =>
    (chart.toJson() as KubeObject[]).map((obj) => ({
      ...obj,
      metadata: { ...obj.metadata, namespace: ctx.owner.namespace },
    })),
  );
}

/** Everything a SalesPipeline should own, given what was observed. Throws InvalidSpecError. */
export function desiredState(sp: SalesPipeline, observed: Observed): KubeObject[] {
  return desiredFromContext({ owner: ownerOf(sp), spec: validSpec(sp), observed });
}
