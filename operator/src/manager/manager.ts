/**
 * The manager (controller-runtime's pkg/manager, in small): it owns the informers (the caches) and
 * the runnables. start(): the informers first; once every cache has synced, the runnables that run on
 * every replica, then leader election; the leader-only runnables (the controller's workers, the
 * autoscaler) start on becoming leader and stop when the lease is lost. Without leader election this
 * replica leads from the start. stop(): everything in the reverse order.
 */
import type { Logger } from '@salespipeline/shared';
import { KubeClient, type Transport } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';
import { Informer, type InformerOptions } from './informer.js';
import { LeaderElector, type LeaderOptions } from './leader.js';
import type { ManagerMetrics } from './metrics.js';

export interface Runnable {
  readonly name: string;
  /** Runs only while this replica leads. */
  readonly leaderOnly: boolean;
  start(): void;
  stop(): Promise<void>;
}

/** What the manager does with an informer of any kind. */
type Cache = Pick<Informer, 'start' | 'stop' | 'hasSynced' | 'isAlive' | 'whenSynced'>;

export interface ManagerOptions {
  /** The controller label of the manager's metrics. */
  name: string;
  /** Unset: no leader election (this replica always leads). */
  leaderElection?: LeaderOptions;
  /** Restart a watch that sent nothing this long. */
  watchSilenceMs: number;
  metrics: ManagerMetrics;
}

export class Manager {
  /** Reads, and writes gated by leadership: what reconcilers and runnables use. */
  readonly client: KubeClient;
  private readonly informers: Cache[] = [];
  private readonly runnables: Runnable[] = [];
  private readonly elector?: LeaderElector;
  private leaderRunnablesStarted = false;
  private started = false;
  private stopped = false;

  constructor(
    rest: Transport,
    private readonly opts: ManagerOptions,
    private readonly logger: Logger,
  ) {
    if (opts.leaderElection) {
      this.elector = new LeaderElector(rest, opts.leaderElection, logger, {
        onStarted: () => this.elected(),
        onStopped: () => this.deposed(),
      });
    }
    this.client = new KubeClient(rest, () => this.isLeader());
  }

  /** The metrics of the manager and of its controllers. */
  get metrics(): ManagerMetrics {
    return this.opts.metrics;
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** A new informer (cache) of one kind, started with the manager. */
  informer<T extends KubeObject = KubeObject>(opts: Omit<InformerOptions, 'silenceMs' | 'onRestart'>): Informer<T> {
    const resource = opts.resource.plural;
    const informer = new Informer<T>(
      this.client,
      {
        ...opts,
        silenceMs: this.opts.watchSilenceMs,
        onRestart: (reason) => this.opts.metrics.watchRestarts.inc({ controller: this.opts.name, resource, reason }),
      },
      this.logger,
    );
    this.informers.push(informer);
    return informer;
  }

  add(runnable: Runnable): void {
    if (this.started) throw new Error(`manager: ${runnable.name} added after start`);
    this.runnables.push(runnable);
  }

  /** Every cache has its first list. */
  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** Every watch synced and alive (not silent). */
  watchesAlive(): boolean {
    return this.informers.every((i) => i.isAlive());
  }

  /** Starts the informers now, the runnables once the caches have synced (see the module comment). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const informer of this.informers) informer.start();
    void Promise.all(this.informers.map((i) => i.whenSynced)).then(() => {
      if (this.stopped) return;
      for (const runnable of this.runnables.filter((r) => !r.leaderOnly)) this.startRunnable(runnable);
      if (this.elector) this.elector.start();
      else this.elected();
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopLeaderRunnables();
    await this.elector?.stop();
    for (const runnable of this.runnables.filter((r) => !r.leaderOnly).reverse()) await this.stopRunnable(runnable);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private elected(): void {
    if (this.stopped || this.leaderRunnablesStarted) return;
    if (this.elector) this.opts.metrics.isLeader.set({ controller: this.opts.name }, 1);
    this.leaderRunnablesStarted = true;
    for (const runnable of this.runnables.filter((r) => r.leaderOnly)) this.startRunnable(runnable);
  }

  private deposed(): void {
    this.opts.metrics.isLeader.set({ controller: this.opts.name }, 0);
    void this.stopLeaderRunnables();
  }

  private async stopLeaderRunnables(): Promise<void> {
    if (!this.leaderRunnablesStarted) return;
    this.leaderRunnablesStarted = false;
    // Each told at once (in reverse order), then awaited together: a deposed replica must stop
    // reconciling now, not after the autoscaler's in-flight lag reads.
    const leaderOnly = this.runnables.filter((r) => r.leaderOnly).reverse();
    await Promise.all(leaderOnly.map((runnable) => this.stopRunnable(runnable)));
  }

  private startRunnable(runnable: Runnable): void {
    this.logger.debug({ runnable: runnable.name }, 'starting');
    runnable.start();
  }

  private async stopRunnable(runnable: Runnable): Promise<void> {
    try {
      await runnable.stop();
    } catch (err) {
      this.logger.warn({ runnable: runnable.name, err: String(err) }, 'runnable failed to stop');
    }
  }
}
