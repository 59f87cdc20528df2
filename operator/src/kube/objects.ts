/** The operator's object type (cdk8s's KubeObject), the REST resources of the kinds it reads and writes, and cache keys. */
import { apiVersion, kind, ownedKind, plural, type KubeObject } from '@salespipeline/cdk8s';

export type { KubeObject, KubeObjectMeta, OwnerReference } from '@salespipeline/cdk8s';

/** A kind as the REST API serves it: where its collection is (plural) and what its objects say they are. */
export interface Resource {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const resources = {
  salesPipeline: { apiVersion, kind, plural },
  event: { apiVersion: 'v1', kind: 'Event', plural: 'events' },
  lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
  secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  persistentVolumeClaim: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
} satisfies Record<string, Resource>;

/** The resource of a SalesPipeline or of a kind a SalesPipeline owns. */
export function resourceOf(obj: { apiVersion: string; kind: string }): Resource {
  if (obj.apiVersion === apiVersion && obj.kind === kind) return resources.salesPipeline;
  return ownedKind(obj.apiVersion, obj.kind);
}

/** A cache key: namespace/name. */
export const objectKey = (obj: { metadata: { namespace?: string; name: string } }) =>
  `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

/** A reference to an object (an Event's involvedObject). */
export function referenceTo(obj: KubeObject) {
  const { name, namespace, uid } = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace: namespace ?? '', ...(uid ? { uid } : {}) };
}
