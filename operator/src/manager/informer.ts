/**
 * List + watch of one kind into a cache, restarted (relist) when the watch fails, ends, gets a 410
 * Gone, or stays silent longer than `silenceMs` (bookmarks are requested, so a healthy watch talks).
 */
import type { Logger } from '@salespipeline/shared';
import type { KubeClient } from '../kube/client.js';
import { objectKey, type KubeObject, type Resource } from '../kube/objects.js';
import { KubeApiError, type WatchEvent } from '../kube/rest.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type Handler<T extends KubeObject> = (event: InformerEvent, obj: T, old?: T) => void;

export interface InformerOptions {
  resource: Resource;
  namespace?: string;
  labelSelector?: string;
  silenceMs?: number;
  onRestart?: (reason: string) => void;
  /**
   * The kind's CRD may be absent (an optional add-on): a 404 on list counts as synced and empty, and
   * the list is retried every `optionalRetryMs` until the CRD appears.
   */
  optional?: boolean;
  optionalRetryMs?: number;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly cache = new Map<string, T>();
  private readonly handlers: Array<Handler<T>> = [];
  private abort = new AbortController();
  private stopped = false;
  private synced = false;
  private lastEvent = Date.now();
  private loop?: Promise<void>;
  private silenceTimer?: NodeJS.Timeout;
  private markSynced: () => void = () => undefined;
  /** Resolves once the first list is in the cache. */
  readonly whenSynced = new Promise<void>((resolve) => (this.markSynced = resolve));

  constructor(
    private readonly client: Pick<KubeClient, 'list' | 'watch'>,
    readonly opts: InformerOptions,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return `${this.opts.resource.apiVersion}/${this.opts.resource.plural}`;
  }

  on(handler: Handler<T>): void {
    this.handlers.push(handler);
  }

  /** Synced once the first list is in, and the watch has not been silent too long since. */
  isAlive(): boolean {
    return this.synced && !this.stopped && Date.now() - this.lastEvent < (this.opts.silenceMs ?? 120_000) * 2;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.loop = this.run();
    const silenceMs = this.opts.silenceMs ?? 120_000;
    this.silenceTimer = setInterval(
      () => {
        if (this.synced && Date.now() - this.lastEvent > silenceMs) this.restart(`silent for ${silenceMs} ms`);
      },
      Math.min(5_000, silenceMs / 2),
    );
    this.silenceTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.silenceTimer);
    this.abort.abort();
    await this.loop;
  }

  /** Drops the current watch; the loop relists and watches again. */
  restart(reason: string): void {
    if (this.stopped) return;
    this.logger.warn({ informer: this.name, reason }, 'restarting watch');
    this.opts.onRestart?.(reason);
    this.abort.abort();
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(event, obj, old);
      } catch (err) {
        this.logger.error({ err, informer: this.name }, 'informer handler failed');
      }
    }
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const rv = await this.list();
        backoff = 200;
        await this.watchFrom(rv);
      } catch (err) {
        if (this.stopped) break;
        if (this.opts.optional && err instanceof KubeApiError && err.status === 404) {
          await this.absent();
          continue;
        }
        const gone = err instanceof KubeApiError && err.status === 410;
        if (!this.abort.signal.aborted || gone) {
          this.opts.onRestart?.(gone ? 'gone' : 'error');
          this.logger.warn({ informer: this.name, err: String(err) }, 'watch failed; relisting');
          // The global setTimeout, not node:timers/promises: jest's fake timers replace only the former.
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(10_000, backoff * 2);
        }
      }
    }
  }

  /** The kind is not served (CRD not installed): an empty, synced cache; look again later. */
  private async absent(): Promise<void> {
    for (const [key, old] of this.cache) {
      this.cache.delete(key);
      this.emit('delete', old);
    }
    if (!this.synced) this.logger.info({ informer: this.name }, 'kind not served (CRD absent): watching nothing');
    this.synced = true;
    this.markSynced();
    this.lastEvent = Date.now();
    const retryMs = this.opts.optionalRetryMs ?? Math.min(30_000, (this.opts.silenceMs ?? 120_000) / 2);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      this.abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }

  private async list(): Promise<string> {
    const { resource, namespace, labelSelector } = this.opts;
    const list = await this.client.list<T>(resource, { namespace, labelSelector, signal: this.abort.signal });
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    this.synced = true;
    this.markSynced();
    this.lastEvent = Date.now();
    return list.resourceVersion;
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    const { resource, namespace, labelSelector } = this.opts;
    while (!this.stopped && !this.abort.signal.aborted) {
      const timeoutSeconds = 240 + Math.floor(Math.random() * 60);
      await this.client.watch<T>(
        resource,
        { namespace, labelSelector, resourceVersion: rv, timeoutSeconds, signal: this.abort.signal },
        (event) => {
          rv = this.applyEvent(event) || rv;
        },
      );
      // The server closed the watch (timeoutSeconds): resume from the last resourceVersion.
    }
  }

  /** One watch event into the cache; returns the resourceVersion it carries. */
  private applyEvent(event: WatchEvent<T>): string | undefined {
    this.lastEvent = Date.now();
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; message?: string };
      throw new KubeApiError(status.code ?? 500, 'WatchError', status.message ?? 'watch error');
    }
    const obj = event.object;
    if (event.type === 'BOOKMARK') return obj.metadata?.resourceVersion;
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', obj);
    } else {
      this.cache.set(key, obj);
      this.emit(old ? 'update' : 'add', obj, old);
    }
    return obj.metadata?.resourceVersion;
  }
}
