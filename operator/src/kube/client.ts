/**
 * Typed verbs over the REST transport (rest.ts): get, list, watch, create, replace, server-side apply
 * (application/apply-patch+yaml, one field manager, force), applyStatus, mergePatch, setFinalizers
 * and delete, each addressed by a Resource, so callers never build paths. Every write first asks the
 * gate (leadership), so a replica that lost its lease stops writing at once.
 */
import { fieldManager } from '@salespipeline/cdk8s';
import { resourceOf, type KubeObject, type Resource } from './objects.js';
import { collectionPath, isNotFound, objectPath, type KubeRest, type WatchEvent } from './rest.js';

export class NotLeaderError extends Error {
  constructor() {
    super('not the leader: write refused');
    this.name = 'NotLeaderError';
  }
}

export const applyContentType = 'application/apply-patch+yaml';
const mergePatchContentType = 'application/merge-patch+json';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  signal?: AbortSignal;
}

export interface KubeList<T> {
  items: T[];
  resourceVersion: string;
}

/** Bounds a single request (the leader election bounds each by its attempt's deadline). */
export interface CallOptions {
  timeoutMs?: number;
}

/** The transport the client needs (a fake in unit tests). */
export type Transport = Pick<KubeRest, 'request' | 'watch'>;

export class KubeClient {
  constructor(
    readonly rest: Transport,
    /** Writes are refused (NotLeaderError) while this says no; reads are not. */
    readonly canWrite: () => boolean = () => true,
  ) {}

  private gate(): void {
    if (!this.canWrite()) throw new NotLeaderError();
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(
    res: Resource,
    namespace: string,
    name: string,
    opts: CallOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.rest.request<T>('GET', objectPath(res.apiVersion, res.plural, namespace, name), opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The objects (namespace unset: all namespaces), each with its apiVersion and kind (lists leave them out). */
  async list<T extends KubeObject = KubeObject>(res: Resource, opts: ListOptions = {}): Promise<KubeList<T>> {
    const list = await this.rest.request<{ metadata: { resourceVersion: string }; items: T[] }>(
      'GET',
      collectionPath(res.apiVersion, res.plural, opts.namespace),
      { query: { labelSelector: opts.labelSelector }, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    return {
      items: list.items.map((item) => ({ ...item, apiVersion: res.apiVersion, kind: res.kind })),
      resourceVersion: list.metadata.resourceVersion,
    };
  }

  /** Streams a watch from a resourceVersion until the server closes it, the signal aborts, or it fails. */
  watch<T extends KubeObject>(
    res: Resource,
    opts: ListOptions & { resourceVersion: string; signal: AbortSignal; timeoutSeconds?: number },
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    const query = {
      labelSelector: opts.labelSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: opts.timeoutSeconds,
    };
    return this.rest.watch<T>(collectionPath(res.apiVersion, res.plural, opts.namespace), query, onEvent, opts.signal);
  }

  async create<T extends KubeObject>(res: Resource, namespace: string, body: unknown, opts: CallOptions = {}) {
    this.gate();
    return this.rest.request<T>('POST', collectionPath(res.apiVersion, res.plural, namespace), { body, ...opts });
  }

  /** Replaces an object, guarded by its metadata.resourceVersion (409 if it changed). */
  async replace<T extends KubeObject>(res: Resource, obj: T, opts: CallOptions = {}): Promise<T> {
    this.gate();
    const { namespace = '', name } = obj.metadata;
    return this.rest.request<T>('PUT', objectPath(res.apiVersion, res.plural, namespace, name), { body: obj, ...opts });
  }

  /** Server-side apply of a whole object (JSON is YAML). Returns the object as stored. */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject): Promise<T> {
    this.gate();
    const res = resourceOf(obj);
    return this.rest.request<T>(
      'PATCH',
      objectPath(res.apiVersion, res.plural, obj.metadata.namespace ?? '', obj.metadata.name),
      {
        body: obj,
        contentType: applyContentType,
        query: { fieldManager, force: true },
      },
    );
  }

  /**
   * Server-side apply of an object's status subresource, as `manager` (the autoscaler owns
   * status.autoscaling). `ifUnchanged`: guarded by the object's metadata.resourceVersion (409 if it
   * changed since it was read), for a status computed from the object's previous status.
   */
  async applyStatus(
    obj: KubeObject,
    status: unknown,
    { manager = fieldManager, ifUnchanged = false }: { manager?: string; ifUnchanged?: boolean } = {},
  ): Promise<void> {
    this.gate();
    const res = resourceOf(obj);
    const { name, namespace = '', resourceVersion } = obj.metadata;
    const metadata = ifUnchanged ? { name, namespace, resourceVersion } : { name, namespace };
    await this.rest.request('PATCH', `${objectPath(res.apiVersion, res.plural, namespace, name)}/status`, {
      body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status },
      contentType: applyContentType,
      query: { fieldManager: manager, force: true },
    });
  }

  /** A JSON merge patch (RFC 7386). */
  async mergePatch<T extends KubeObject = KubeObject>(res: Resource, namespace: string, name: string, patch: unknown) {
    this.gate();
    return this.rest.request<T>('PATCH', objectPath(res.apiVersion, res.plural, namespace, name), {
      body: patch,
      contentType: mergePatchContentType,
    });
  }

  /** Replaces metadata.finalizers, guarded by resourceVersion (409 if the object changed). */
  async setFinalizers<T extends KubeObject>(obj: T, finalizers: string[]): Promise<T> {
    const { namespace = '', name, resourceVersion } = obj.metadata;
    return this.mergePatch<T>(resourceOf(obj), namespace, name, { metadata: { finalizers, resourceVersion } });
  }

  /** Deletes (background propagation); a missing object counts as deleted. */
  async delete(res: Resource, namespace: string, name: string): Promise<void> {
    this.gate();
    try {
      await this.rest.request('DELETE', objectPath(res.apiVersion, res.plural, namespace, name), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
