/**
 * The built-in processor autoscaler. A timer evaluates every SalesPipeline in builtin mode
 * each `spec.processor.autoscaling.pollingSeconds`: reads the consumer group's lag (LagReader), runs
 * the pure decision (decide.ts) and, when the decided replicas change, tells its rescale listeners
 * (the controller queues the SalesPipeline) so the reconciler applies them (they reach desired state
 * as the observed `processorReplicas`). It also writes `status.autoscaling` (its own field manager, so
 * the reconciler's status applies never touch it), records an Event per scaling decision, and exports
 * the metrics. A leader-only runnable of the manager: a new leader starts with an empty history, i.e.
 * a fresh stabilization window, and holds the Deployment's replicas until its first decision, so a
 * failover never scales down early.
 */
import {
  fieldManager,
  names,
  pauseAnnotation,
  validSpec,
  type AutoscalingStatus,
  type SalesPipeline,
  type SalesPipelineSpec,
} from '@salespipeline/cdk8s';
import { isoSeconds, type Logger } from '@salespipeline/shared';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { objectKey } from '../kube/objects.js';
import type { Informer } from '../manager/informer.js';
import type { Runnable } from '../manager/manager.js';
import { decideReplicas, emptyHistory, lagSummary, type Decision, type History, type PartitionLag } from './decide.js';
import { kafkaAccess, type SecretReader } from './kafka-access.js';
import type { LagReader } from './lag.js';

export const autoscalerFieldManager = `${fieldManager}-autoscaler`;

export interface AutoscalerDeps {
  primary: Informer<SalesPipeline>;
  deployments: Informer | undefined;
  lagReader: LagReader;
  /** Gated by leadership. */
  client: KubeClient;
  events: EventRecorder;
  registry: Registry;
  logger: Logger;
  /** Evaluation timer granularity. */
  tickMs?: number;
  /** Kafka bootstrap for every SalesPipeline (KAFKA_BOOTSTRAP_OVERRIDE); the annotation wins. */
  bootstrapOverride?: string;
  /** Reads the Secrets with Kafka credentials (authentication on, or spec.kafka.external). */
  readSecret: SecretReader;
  /** Least time between two status writes that only refresh the lag figures. */
  statusRefreshMs?: number;
}

interface State {
  uid: string | undefined;
  history: History;
  desired?: number;
  /** The Deployment's replicas when this term first needed them before a decision (null: none). */
  held?: number | null;
  nextPollAt: number;
  running: boolean;
  stuck: string;
  error?: string;
  lastDecision?: NonNullable<AutoscalingStatus['lastDecision']>;
  lastStatus?: string;
  lastStatusAt: number;
  partitions: Set<number>;
}

export function autoscalerMetrics(registry: Registry) {
  return {
    lag: new Gauge({
      name: 'salespipeline_processor_lag',
      help: 'Consumer lag of the processor group per partition (messages)',
      labelNames: ['salespipeline', 'partition'] as const,
      registers: [registry],
    }),
    desired: new Gauge({
      name: 'salespipeline_processor_replicas_desired',
      help: 'Processor replicas decided by the autoscaler',
      labelNames: ['salespipeline'] as const,
      registers: [registry],
    }),
    current: new Gauge({
      name: 'salespipeline_processor_replicas_current',
      help: 'Processor replicas of the Deployment (spec.replicas)',
      labelNames: ['salespipeline'] as const,
      registers: [registry],
    }),
    stuck: new Gauge({
      name: 'salespipeline_processor_stuck_partitions',
      help: 'Partitions with lag but no progress (reported, not chased)',
      labelNames: ['salespipeline'] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'salespipeline_autoscaler_decisions_total',
      help: 'Scaling decisions by direction (up, down)',
      labelNames: ['salespipeline', 'direction', 'reason'] as const,
      registers: [registry],
    }),
    readErrors: new Counter({
      name: 'salespipeline_autoscaler_lag_read_errors_total',
      help: 'Failed reads of the consumer lag',
      labelNames: ['salespipeline'] as const,
      registers: [registry],
    }),
  };
}

export class Autoscaler implements Runnable {
  readonly name = 'autoscaler';
  readonly leaderOnly = true;
  private readonly states = new Map<string, State>();
  private readonly metrics: ReturnType<typeof autoscalerMetrics>;
  private readonly rescaleListeners: Array<(key: string) => void> = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: AutoscalerDeps) {
    this.metrics = autoscalerMetrics(deps.registry);
    deps.primary.on((event, obj) => {
      if (event === 'delete') this.forget(objectKey(obj));
    });
  }

  /** Called with a SalesPipeline's key when its decided replicas change (to reconcile it). */
  onRescale(listener: (key: string) => void): void {
    this.rescaleListeners.push(listener);
  }

  /** On becoming leader: a new term, with empty histories (fresh stabilization windows). */
  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 500);
    this.timer.unref();
  }

  /** On losing the lease or shutdown: forgets this term's states and closes the Kafka clients. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    for (const key of [...this.states.keys()]) this.forget(key);
    await Promise.allSettled([...this.inFlight]);
    await this.deps.lagReader.close();
  }

  /** Leading and running: in-flight evaluations of an ended term write nothing. */
  private isActive(): boolean {
    return this.running && this.deps.client.canWrite();
  }

  /**
   * The processor replicas for a SalesPipeline (builtin mode): the last decision of this term, else
   * what the Deployment ran when this term first asked. A new leader reconciles before its first lag
   * poll; holding the replicas it found (the chart clamps them) keeps a failover from scaling a
   * lagging group down, while a later hand edit is still reverted.
   */
  replicasFor(key: string, uid: string | undefined): number | undefined {
    const sp = this.deps.primary.cache.get(key);
    if (!sp || sp.metadata.uid !== uid) return undefined;
    const state = this.stateOf(key, sp, Date.now());
    if (state.desired !== undefined) return state.desired;
    state.held ??= this.deploymentReplicas(sp) ?? null;
    return state.held ?? undefined;
  }

  /** This term's state of a SalesPipeline (a new one for a new object of the same name). */
  private stateOf(key: string, sp: SalesPipeline, now: number): State {
    let state = this.states.get(key);
    if (state && state.uid !== sp.metadata.uid) {
      this.forget(key);
      state = undefined;
    }
    if (!state) {
      state = {
        uid: sp.metadata.uid,
        history: emptyHistory(),
        nextPollAt: now,
        running: false,
        stuck: '',
        lastStatusAt: 0,
        partitions: new Set(),
      };
      this.states.set(key, state);
    }
    return state;
  }

  private forget(key: string): void {
    const s = this.states.get(key);
    if (!s) return;
    this.states.delete(key);
    for (const p of s.partitions) this.metrics.lag.remove({ salespipeline: key, partition: String(p) });
    for (const g of [this.metrics.desired, this.metrics.current, this.metrics.stuck]) g.remove({ salespipeline: key });
  }

  private tick(): void {
    if (!this.isActive()) return;
    const now = Date.now();
    for (const [key, sp] of this.deps.primary.cache) {
      let spec: SalesPipelineSpec;
      try {
        if (sp.metadata.deletionTimestamp || sp.metadata.annotations?.[pauseAnnotation] === 'true') continue;
        spec = validSpec(sp);
      } catch {
        continue;
      }
      if (spec.processor.autoscaling.mode !== 'builtin') {
        this.forget(key);
        this.noteKeda(key, sp);
        continue;
      }
      this.kedaNoted.delete(key);
      const state = this.stateOf(key, sp, now);
      if (state.running || now < state.nextPollAt) continue;
      state.running = true;
      state.nextPollAt = now + spec.processor.autoscaling.pollingSeconds * 1000;
      const p = this.evaluate(key, sp, spec, state)
        .catch((err: unknown) => this.deps.logger.warn({ salespipeline: key, err: String(err) }, 'autoscaler failed'))
        .finally(() => {
          state.running = false;
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
    }
  }

  private readonly kedaNoted = new Set<string>();

  /** KEDA mode: status.autoscaling says so (and drops the built-in figures, which this manager owned). */
  private noteKeda(key: string, sp: SalesPipeline): void {
    if (this.kedaNoted.has(key) || sp.status?.autoscaling?.mode === 'keda') return;
    this.kedaNoted.add(key);
    this.deps.client
      .applyStatus(sp, { autoscaling: { mode: 'keda' } }, { manager: autoscalerFieldManager })
      .catch((err: unknown) => {
        this.kedaNoted.delete(key);
        this.deps.logger.warn({ salespipeline: key, err: String(err) }, 'could not write status.autoscaling');
      });
  }

  private deploymentReplicas(sp: SalesPipeline): number | undefined {
    const deployment = this.deps.deployments?.cache.get(
      `${sp.metadata.namespace}/${names(sp.metadata.name).app('processor')}`,
    );
    return (deployment?.spec as { replicas?: number } | undefined)?.replicas;
  }

  /** One poll: read the lag, decide, report (metrics, events, status.autoscaling) and have a change applied. */
  private async evaluate(key: string, sp: SalesPipeline, spec: SalesPipelineSpec, state: State): Promise<void> {
    const { processor } = spec;
    const deployed = this.deploymentReplicas(sp);
    if (deployed !== undefined) this.metrics.current.set({ salespipeline: key }, deployed);
    const lagPerPartition = await this.readLag(key, sp, spec, state, deployed);
    if (!lagPerPartition || !this.isActive()) return;

    const now = Date.now();
    const current = state.desired ?? deployed ?? processor.minReplicas;
    const { scaleDown, stuckAfterPolls } = processor.autoscaling;
    const decision = decideReplicas({
      lagPerPartition,
      partitions: lagPerPartition.length,
      current,
      spec: {
        minReplicas: processor.minReplicas,
        maxReplicas: processor.maxReplicas,
        lagThreshold: processor.lagThreshold,
        stabilizationSeconds: scaleDown.stabilizationSeconds,
        step: scaleDown.step,
        periodSeconds: scaleDown.periodSeconds,
        stuckAfterPolls,
      },
      history: state.history,
      now,
    });
    state.history = decision.history;

    for (const p of lagPerPartition) {
      state.partitions.add(p.partition);
      this.metrics.lag.set({ salespipeline: key, partition: String(p.partition) }, p.lag);
    }
    this.metrics.desired.set({ salespipeline: key }, decision.desired);
    this.metrics.stuck.set({ salespipeline: key }, decision.stuck.length);

    const changed = decision.desired !== state.desired;
    if (changed && decision.direction !== 'none') await this.scaled(key, sp, state, decision, current, now);
    const stuckChanged = await this.noteStuck(sp, state, decision, stuckAfterPolls);
    state.desired = decision.desired;
    if (changed) for (const listener of this.rescaleListeners) listener(key);
    const status = this.statusOf(decision, lagPerPartition, state, deployed, now);
    await this.writeStatus(sp, state, status, changed || stuckChanged);
  }

  /** The consumer lag per partition; undefined (and the reason in status.autoscaling) when it cannot be read. */
  private async readLag(
    key: string,
    sp: SalesPipeline,
    spec: SalesPipelineSpec,
    state: State,
    deployed: number | undefined,
  ): Promise<PartitionLag[] | undefined> {
    const topic = spec.kafka.topics.name;
    try {
      const access = await kafkaAccess(sp, spec, this.deps.readSecret, this.deps.bootstrapOverride);
      const group = spec.processor.autoscaling.consumerGroup;
      const lagPerPartition = await this.deps.lagReader.read(access.brokers, topic, group, access.security);
      if (lagPerPartition.length === 0) throw new Error(`topic ${topic} has no partitions`);
      state.error = undefined;
      return lagPerPartition;
    } catch (err) {
      this.metrics.readErrors.inc({ salespipeline: key });
      const error = String(err instanceof Error ? err.message : err).slice(0, 1000);
      if (error !== state.error) this.deps.logger.warn({ salespipeline: key, err: error }, 'consumer lag not readable');
      state.error = error;
      // Hold the last decision; report why nothing is decided.
      await this.writeStatus(sp, state, { mode: 'builtin', error, ...this.replicaFacts(state, deployed) }, false);
      return undefined;
    }
  }

  /** A scaling decision: remembered for the status, counted, logged and recorded as an Event. */
  private async scaled(
    key: string,
    sp: SalesPipeline,
    state: State,
    decision: Decision,
    current: number,
    now: number,
  ): Promise<void> {
    const { direction, reason, message, desired } = decision;
    state.lastDecision = {
      time: isoSeconds(now),
      direction,
      from: current,
      to: desired,
      reason: `${reason}: ${message}`.slice(0, 1024),
    };
    this.metrics.decisions.inc({ salespipeline: key, direction, reason });
    this.deps.logger.info({ salespipeline: key, from: current, to: desired, reason }, 'scaling');
    await this.deps.events.record(
      sp,
      'Normal',
      direction === 'up' ? 'ProcessorScaledUp' : 'ProcessorScaledDown',
      `processor replicas ${current} → ${desired}: ${reason}: ${message}`,
    );
  }

  /** A change of the stuck partitions: a Warning Event when there are some. True when they changed. */
  private async noteStuck(sp: SalesPipeline, state: State, decision: Decision, polls: number): Promise<boolean> {
    const stuck = decision.stuck.join(',');
    if (stuck === state.stuck) return false;
    state.stuck = stuck;
    if (stuck)
      await this.deps.events.record(
        sp,
        'Warning',
        'PartitionsStuck',
        `partitions ${stuck} have lag but no progress for ${polls} polls while others progress; reported, not chased`,
      );
    return true;
  }

  private replicaFacts(state: State, deployed: number | undefined) {
    return {
      ...(deployed === undefined ? {} : { currentReplicas: deployed }),
      ...(state.desired === undefined ? {} : { desiredReplicas: state.desired }),
      ...(state.lastDecision ? { lastDecision: state.lastDecision } : {}),
    };
  }

  private statusOf(
    decision: Decision,
    lagPerPartition: PartitionLag[],
    state: State,
    deployed: number | undefined,
    now: number,
  ): AutoscalingStatus {
    return {
      mode: 'builtin',
      observedTime: isoSeconds(now),
      partitions: lagPerPartition.length,
      totalLag: decision.totalLag,
      maxLag: decision.maxLag,
      laggingPartitions: decision.laggingPartitions,
      stuckPartitions: decision.stuck,
      lag: lagSummary(lagPerPartition),
      ...this.replicaFacts(state, deployed),
    };
  }

  /** Applies status.autoscaling when it changed: at once if important, else at most every statusRefreshMs. */
  private async writeStatus(sp: SalesPipeline, state: State, status: AutoscalingStatus, important: boolean) {
    const { observedTime: _t, ...comparable } = status;
    const json = JSON.stringify(comparable);
    if (json === state.lastStatus) return;
    const now = Date.now();
    if (
      !important &&
      now - state.lastStatusAt < (this.deps.statusRefreshMs ?? 10_000) &&
      state.lastStatus !== undefined
    )
      return;
    if (!this.isActive()) return;
    await this.deps.client.applyStatus(sp, { autoscaling: status }, { manager: autoscalerFieldManager });
    state.lastStatus = json;
    state.lastStatusAt = now;
  }
}
