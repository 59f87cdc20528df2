/**
 * A generic controller (controller-runtime's shape): a primary informer plus owned-kind informers
 * feed one work queue of primary keys, through predicates; workers run the reconciler; errors
 * retry with backoff, terminal errors (errors.ts) go to the onTerminal hook without; a periodic
 * resync re-queues every primary object to correct drift. A leader-only runnable of the manager.
 */
import type { Logger } from '@salespipeline/shared';
import { objectKey, type KubeObject } from '../kube/objects.js';
import type { Informer, InformerEvent } from './informer.js';
import { TerminalError } from './errors.js';
import type { Runnable } from './manager.js';
import type { ManagerMetrics } from './metrics.js';
import { WorkQueue, type QueueOptions } from './queue.js';

export interface ReconcileResult {
  requeueAfterMs?: number;
  /** For the metrics: e.g. 'paused', 'teardown'. */
  result?: string;
}

export type Reconcile = (key: string) => Promise<ReconcileResult>;

/** controller-runtime's GenerationChanged + AnnotationChanged + LabelChanged, and deletion. */
export function primaryChanged(obj: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return true;
  const a = obj.metadata;
  const b = old.metadata;
  return (
    a.generation !== b.generation ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    a.deletionTimestamp !== b.deletionTimestamp
  );
}

/** The key of an owned object's controlling owner of the given kind, if any. */
export const ownerKey =
  (ownerApiVersion: string, ownerKind: string) =>
  (obj: KubeObject): string | undefined => {
    const ref = obj.metadata.ownerReferences?.find(
      (r) => r.controller && r.kind === ownerKind && r.apiVersion === ownerApiVersion,
    );
    return ref ? `${obj.metadata.namespace ?? ''}/${ref.name}` : undefined;
  };

export interface ControllerOptions<P extends KubeObject> {
  name: string;
  primary: Informer<P>;
  owned: Informer[];
  mapOwned: (obj: KubeObject) => string | undefined;
  reconcile: Reconcile;
  /** Reports a terminal error (e.g. in the object's status); if it throws, the key is retried with backoff. */
  onTerminal: (key: string, err: TerminalError) => Promise<void>;
  workers?: number;
  resyncMs?: number;
  queue?: QueueOptions;
}

export class Controller<P extends KubeObject = KubeObject> implements Runnable {
  readonly leaderOnly = true;
  queue: WorkQueue;
  private running = false;
  private workers: Array<Promise<void>> = [];
  private resyncTimer?: NodeJS.Timeout;
  private generation = 0;

  constructor(
    private readonly opts: ControllerOptions<P>,
    private readonly metrics: ManagerMetrics,
    private readonly logger: Logger,
  ) {
    this.queue = new WorkQueue(opts.queue, metrics.queueHooks);
    opts.primary.on((event: InformerEvent, obj: P, old?: P) => {
      if (event !== 'update' || primaryChanged(obj, old)) this.enqueue(objectKey(obj));
    });
    for (const informer of opts.owned) {
      informer.on((_event, obj) => {
        const key = opts.mapOwned(obj);
        if (key) this.enqueue(key);
      });
    }
  }

  /** Queues a primary key (ignored while the workers are stopped). */
  enqueue(key: string): void {
    if (this.running) this.queue.add(key);
  }

  get name(): string {
    return this.opts.name;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the workers (on becoming leader): queues every cached primary object first. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const gen = ++this.generation;
    this.queue = new WorkQueue(this.opts.queue, this.metrics.queueHooks);
    for (const key of this.opts.primary.cache.keys()) this.queue.add(key);
    for (let i = 0; i < (this.opts.workers ?? 2); i++) this.workers.push(this.work(gen));
    const resyncMs = this.opts.resyncMs ?? 300_000;
    this.resyncTimer = setInterval(() => {
      for (const key of this.opts.primary.cache.keys()) this.queue.add(key);
    }, resyncMs);
    this.resyncTimer.unref();
    this.logger.info({ controller: this.opts.name, workers: this.opts.workers ?? 2 }, 'workers started');
  }

  /** Stops the workers at once (lost leadership, shutdown); in-flight reconciles finish or fail on the write gate. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    this.queue.shutdown();
    const workers = this.workers.splice(0);
    await Promise.allSettled(workers);
    this.logger.info({ controller: this.opts.name }, 'workers stopped');
  }

  private async work(gen: number): Promise<void> {
    const { name } = this.opts;
    const queue = this.queue;
    for (;;) {
      const key = await queue.get();
      if (key === undefined || gen !== this.generation) return;
      const start = process.hrtime.bigint();
      let result = 'success';
      try {
        const r = await this.opts.reconcile(key);
        queue.forget(key);
        result = r.result ?? (r.requeueAfterMs !== undefined ? 'requeue' : 'success');
        if (r.requeueAfterMs !== undefined) queue.addAfter(key, r.requeueAfterMs);
      } catch (err) {
        result = await this.failed(queue, key, err);
      } finally {
        queue.done(key);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        this.metrics.reconcileTotal.inc({ controller: name, result });
        this.metrics.reconcileDuration.observe({ controller: name, result }, seconds);
      }
    }
  }

  /** A failed reconcile: a terminal error is reported once, no backoff; any other is retried with backoff. */
  private async failed(queue: WorkQueue, key: string, err: unknown): Promise<string> {
    const { name } = this.opts;
    if (err instanceof TerminalError) {
      try {
        await this.opts.onTerminal(key, err);
        queue.forget(key);
        if (err.recheckAfterMs !== undefined) queue.addAfter(key, err.recheckAfterMs);
        this.logger.warn(
          { controller: name, key, reason: err.reason, err: err.message },
          'reconcile failed terminally',
        );
        return 'invalid';
      } catch (hookErr) {
        err = hookErr;
      }
    }
    this.metrics.reconcileErrors.inc({ controller: name });
    const delay = queue.addRateLimited(key);
    this.logger.warn({ controller: name, key, err: String(err), retryInMs: delay }, 'reconcile failed');
    return 'error';
  }
}
