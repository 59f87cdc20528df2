/**
 * Writes to the apiserver: server-side apply (application/apply-patch+yaml, one field manager,
 * force), deletes, and finalizer patches. Every write first checks the gate (leadership), so a
 * replica that lost its lease stops writing at once.
 */
import { fieldManager, ownedKind, type KubeObject } from '@salespipeline/cdk8s';
import { collectionPath, isNotFound, objectPath, type KubeRest } from './kube/rest.js';

export class NotLeaderError extends Error {
  constructor() {
    super('not the leader: write refused');
    this.name = 'NotLeaderError';
  }
}

export const applyContentType = 'application/apply-patch+yaml';

export class Writer {
  constructor(
    private readonly rest: KubeRest,
    private readonly canWrite: () => boolean,
  ) {}

  private gate(): void {
    if (!this.canWrite()) throw new NotLeaderError();
  }

  /** Server-side apply of a whole object (JSON is YAML). Returns the object as stored. */
  async apply<T = KubeObject>(obj: KubeObject, plural = ownedKind(obj.apiVersion, obj.kind).plural): Promise<T> {
    this.gate();
    const ns = obj.metadata.namespace ?? '';
    return this.rest.request<T>('PATCH', objectPath(obj.apiVersion, plural, ns, obj.metadata.name), {
      body: obj,
      contentType: applyContentType,
      query: { fieldManager, force: true },
    });
  }

  /** Server-side apply of the status subresource (as `manager`: the autoscaler owns status.autoscaling). */
  async applyStatus(
    apiVersion: string,
    kind: string,
    plural: string,
    namespace: string,
    name: string,
    status: unknown,
    manager: string = fieldManager,
  ) {
    this.gate();
    return this.rest.request('PATCH', `${objectPath(apiVersion, plural, namespace, name)}/status`, {
      body: { apiVersion, kind, metadata: { name, namespace }, status },
      contentType: applyContentType,
      query: { fieldManager: manager, force: true },
    });
  }

  /** Replaces metadata.finalizers, guarded by resourceVersion (409 if the object changed). */
  async setFinalizers(
    apiVersion: string,
    plural: string,
    meta: { namespace: string; name: string; resourceVersion?: string },
    finalizers: string[],
  ) {
    this.gate();
    return this.rest.request('PATCH', objectPath(apiVersion, plural, meta.namespace, meta.name), {
      body: { metadata: { finalizers, resourceVersion: meta.resourceVersion } },
      contentType: 'application/merge-patch+json',
    });
  }

  /** Deletes (background propagation); a missing object counts as deleted. */
  async delete(apiVersion: string, plural: string, namespace: string, name: string): Promise<void> {
    this.gate();
    try {
      await this.rest.request('DELETE', objectPath(apiVersion, plural, namespace, name), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list<T = KubeObject>(apiVersion: string, plural: string, namespace: string, labelSelector: string) {
    const res = await this.rest.request<{ items: T[] }>('GET', collectionPath(apiVersion, plural, namespace), {
      query: { labelSelector },
    });
    return res.items;
  }
}
