/**
 * A generic controller (controller-runtime's shape): a primary informer plus owned-kind informers
 * feed one work queue of primary keys, through predicates; workers run the reconciler; errors
 * retry with backoff; a periodic resync re-queues every primary object to correct drift.
 */
import type { Logger } from '@salespipeline/shared';
import { objectKey, type Informer, type InformerEvent, type Obj } from './informer.js';
import type { ManagerMetrics } from './metrics.js';
import { WorkQueue, type QueueOptions } from './queue.js';

export interface ReconcileResult {
  requeueAfterMs?: number;
  /** For the metrics: e.g. 'invalid' when the object was reported unusable in its status. */
  result?: string;
}

export type Reconcile = (key: string) => Promise<ReconcileResult>;

/** controller-runtime's GenerationChanged + AnnotationChanged + LabelChanged, and deletion. */
export function primaryChanged(obj: Obj, old: Obj | undefined): boolean {
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
  (obj: Obj): string | undefined => {
    const ref = obj.metadata.ownerReferences?.find(
      (r) => r.controller && r.kind === ownerKind && r.apiVersion === ownerApiVersion,
    );
    return ref ? `${obj.metadata.namespace ?? ''}/${ref.name}` : undefined;
  };

export interface ControllerOptions<P extends Obj> {
  name: string;
  primary: Informer<P>;
  owned: Informer[];
  mapOwned: (obj: Obj) => string | undefined;
  reconcile: Reconcile;
  workers?: number;
  resyncMs?: number;
  queue?: QueueOptions;
  predicate?: (obj: P, old: P | undefined) => boolean;
}

export class Controller<P extends Obj = Obj> {
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
    const predicate = opts.predicate ?? primaryChanged;
    opts.primary.on((event: InformerEvent, obj: P, old?: P) => {
      if (event !== 'update' || predicate(obj, old)) this.enqueue(objectKey(obj));
    });
    for (const inf of opts.owned) {
      inf.on((_event, obj) => {
        const key = opts.mapOwned(obj);
        if (key) this.enqueue(key);
      });
    }
  }

  /** Queues a primary key (ignored while the workers are stopped). */
  enqueue(key: string): void {
    if (this.running) this.queue.add(key);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the workers (on becoming leader): queues every cached primary object first. */
  startWorkers(): void {
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
  async stopWorkers(): Promise<void> {
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
        result = 'error';
        this.metrics.reconcileErrors.inc({ controller: name });
        const delay = queue.addRateLimited(key);
        this.logger.warn({ controller: name, key, err: String(err), retryInMs: delay }, 'reconcile failed');
      } finally {
        queue.done(key);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        this.metrics.reconcileTotal.inc({ controller: name, result });
        this.metrics.reconcileDuration.observe({ controller: name, result }, seconds);
      }
    }
  }
}
