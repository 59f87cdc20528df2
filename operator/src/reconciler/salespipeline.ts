/**
 * The SalesPipeline reconciler: observe → desired → apply → status; finalizer-driven ordered
 * teardown; pause annotation. What only a spec change fixes (an invalid spec, a child the apiserver
 * rejects, a missing Secret) is thrown as a TerminalError, which the controller hands to
 * reportTerminal: phase Invalid, Ready=False with the reason.
 */
import {
  childKinds,
  desiredState,
  endpoints,
  finalizer,
  kindKey,
  labels,
  managedBySelector,
  names,
  ownedKinds,
  pauseAnnotation,
  teardownStages,
  validSpec,
  volumeClaimSelectors,
  withDefaults,
  type Condition,
  type Phase,
  type SalesPipeline,
  type SalesPipelineSpec,
  type SalesPipelineStatus,
} from '@salespipeline/cdk8s';
import type { Logger } from '@salespipeline/shared';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { resourceOf, resources, type KubeObject } from '../kube/objects.js';
import { isNotFound } from '../kube/rest.js';
import type { ReconcileResult } from '../manager/controller.js';
import type { TerminalError } from '../manager/errors.js';
import type { Informer } from '../manager/informer.js';
import {
  cassandraCondition,
  deploymentCondition,
  externalCondition,
  kafkaCondition,
  phaseOf,
  processorsSummary,
  readyCondition,
  sameStatus,
  setCondition,
  statefulSetCondition,
  type ConditionInput,
} from './status.js';
import { applyError, invalidSpec } from './errors.js';
import { observe } from './observe.js';
import { probeTcp, type Probe } from './probe.js';

export interface ReconcilerDeps {
  /** Gated by leadership. */
  client: KubeClient;
  events: EventRecorder;
  primary: Informer<SalesPipeline>;
  /** Informers of the owned kinds, by kindKey(apiVersion, kind). */
  children: Map<string, Informer>;
  logger: Logger;
  /** How often to look again while waiting (teardown, not-ready children). */
  pollMs?: number;
  /** The built-in autoscaler's replicas; without it the processor runs minReplicas. */
  autoscaler?: { replicasFor(key: string, uid: string | undefined): number | undefined };
  /** Readiness of external data services (spec.*.external); a TCP connect by default. */
  probe?: Probe;
}

export class SalesPipelineReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    let sp = this.deps.primary.cache.get(key);
    if (!sp) return {};
    const log = this.deps.logger.child({ salespipeline: key, generation: sp.metadata.generation });
    if (sp.metadata.deletionTimestamp) return this.finalize(sp, log);
    if (sp.metadata.annotations?.[pauseAnnotation] === 'true') {
      await this.writeStatus(sp, { ...sp.status, phase: 'Paused' });
      return { result: 'paused' };
    }
    if (!sp.metadata.finalizers?.includes(finalizer)) {
      // The object as patched: its status is written against this version below.
      sp = await this.deps.client.setFinalizers(sp, [...(sp.metadata.finalizers ?? []), finalizer]);
    }

    const spec = this.validSpec(sp);
    const observed = await observe(this.deps.client, sp, spec);
    const processorReplicas = this.deps.autoscaler?.replicasFor(key, sp.metadata.uid);
    const desired = desiredState(sp, processorReplicas === undefined ? observed : { ...observed, processorReplicas });
    await Promise.all(
      desired.map((obj) =>
        this.deps.client.apply(obj).catch((err: unknown) => {
          throw applyError(obj, err);
        }),
      ),
    );
    await this.prune(sp, desired);
    log.debug({ objects: desired.length }, 'applied');
    const ready = await this.updateStatus(sp, spec);
    return ready ? {} : { requeueAfterMs: 30_000 };
  };

  /** The controller's terminal-error hook: the SalesPipeline is Invalid, Ready=False says why. */
  reportTerminal = async (key: string, err: TerminalError): Promise<void> => {
    const sp = this.deps.primary.cache.get(key);
    if (sp) await this.reportInvalid(sp, err.reason, err.message);
  };

  private validSpec(sp: SalesPipeline): SalesPipelineSpec {
    try {
      return validSpec(sp);
    } catch (err) {
      throw invalidSpec(err);
    }
  }

  /** Children this SalesPipeline controls, from the caches. */
  private owned(sp: SalesPipeline): KubeObject[] {
    const owned: KubeObject[] = [];
    for (const informer of this.deps.children.values()) {
      for (const obj of informer.cache.values()) {
        if (obj.metadata.namespace !== sp.metadata.namespace) continue;
        if (obj.metadata.ownerReferences?.some((r) => r.controller && r.uid === sp.metadata.uid)) owned.push(obj);
      }
    }
    return owned;
  }

  /** Deletes owned children no longer desired (e.g. monitoring or the dashboard switched off). */
  private async prune(sp: SalesPipeline, desired: KubeObject[]): Promise<void> {
    const wanted = new Set(desired.map((o) => `${kindKey(o.apiVersion, o.kind)}/${o.metadata.name}`));
    for (const obj of this.owned(sp)) {
      if (!wanted.has(`${kindKey(obj.apiVersion, obj.kind)}/${obj.metadata.name}`))
        await this.deps.client.delete(resourceOf(obj), sp.metadata.namespace, obj.metadata.name);
    }
  }

  private child(k: { apiVersion: string; kind: string }, namespace: string, name: string): KubeObject | undefined {
    return this.deps.children.get(kindKey(k.apiVersion, k.kind))?.cache.get(`${namespace}/${name}`);
  }

  private async updateStatus(sp: SalesPipeline, spec: SalesPipelineSpec): Promise<boolean> {
    const ns = sp.metadata.namespace;
    const n = names(sp.metadata.name);
    const processor = this.child(childKinds.deployment, ns, n.app('processor'));
    const probe = this.deps.probe ?? probeTcp();
    const { kafka, cassandra, mysql } = spec;
    const inputs: ConditionInput[] = [
      kafka.external
        ? externalCondition('KafkaReady', 'Kafka', await probe(kafka.external.bootstrapServers))
        : kafkaCondition(this.child(childKinds.kafka, ns, n.kafka)),
      cassandra.external
        ? externalCondition('CassandraReady', 'Cassandra', await probe(cassandra.external.contactPoints))
        : cassandraCondition(this.child(childKinds.k8ssandraCluster, ns, sp.metadata.name), cassandra.datacenter.name),
      mysql.external
        ? externalCondition('MySQLReady', 'MySQL', await probe([`${mysql.external.host}:${mysql.external.port}`]))
        : statefulSetCondition(this.child(childKinds.statefulSet, ns, n.mysql)),
      deploymentCondition('IngestReady', this.child(childKinds.deployment, ns, n.app('ingest'))),
      deploymentCondition('ProcessorReady', processor),
    ];
    const status = this.nextStatus(sp, inputs);
    status.endpoints = endpoints(sp.metadata, spec);
    status.processors = processorsSummary(processor);
    await this.writeStatus(sp, status);
    return status.phase === 'Ready';
  }

  private nextStatus(sp: SalesPipeline, inputs: ConditionInput[], phase?: Phase): SalesPipelineStatus {
    const now = new Date();
    const generation = sp.metadata.generation ?? 0;
    let conditions: Condition[] = sp.status?.conditions ?? [];
    for (const c of inputs) conditions = setCondition(conditions, c, generation, now);
    conditions = setCondition(conditions, readyCondition(conditions), generation, now);
    return {
      ...sp.status,
      observedGeneration: generation,
      conditions,
      phase: phase ?? phaseOf(conditions, sp.status?.phase),
    };
  }

  private async reportInvalid(sp: SalesPipeline, reason: string, message: string): Promise<void> {
    const now = new Date();
    const conditions = setCondition(
      sp.status?.conditions ?? [],
      { type: 'Ready', status: 'False', reason, message: message.slice(0, 4000) },
      sp.metadata.generation ?? 0,
      now,
    );
    await this.writeStatus(sp, {
      ...sp.status,
      phase: 'Invalid',
      observedGeneration: sp.metadata.generation ?? 0,
      conditions,
    });
  }

  private async writeStatus(sp: SalesPipeline, full: SalesPipelineStatus): Promise<void> {
    // status.autoscaling belongs to the autoscaler (its own field manager): never applied from here.
    const { autoscaling: _mine, ...status } = full;
    const { autoscaling: _theirs, ...before } = sp.status ?? {};
    if (sameStatus(before, status)) return;
    // The phase and the conditions' transition times follow from the status read with `sp`: from a
    // stale copy (the informer behind our own last write) they would regress, e.g. a Ready pipeline
    // whose Kafka fails would turn Provisioning instead of Degraded. So the write is refused (409,
    // retried once the cache has caught up) if the object changed, and the events wait for it.
    await this.deps.client.applyStatus(sp, status, { ifUnchanged: true });
    await this.recordTransitions(sp, status);
  }

  /** Events on transitions: the phase, and each condition whose status changed. */
  private async recordTransitions(sp: SalesPipeline, status: SalesPipelineStatus): Promise<void> {
    if (status.phase !== sp.status?.phase) {
      const warn = status.phase === 'Invalid' || status.phase === 'Degraded';
      const why = status.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
      await this.deps.events.record(
        sp,
        warn ? 'Warning' : 'Normal',
        `Phase${status.phase}`,
        `phase ${status.phase}: ${why}`,
      );
    }
    for (const c of status.conditions ?? []) {
      const before = sp.status?.conditions?.find((o) => o.type === c.type);
      if (before && before.status !== c.status && c.type !== 'Ready') {
        await this.deps.events.record(
          sp,
          c.status === 'True' ? 'Normal' : 'Warning',
          c.reason,
          `${c.type}=${c.status}: ${c.message}`,
        );
      }
    }
  }

  /** Ordered teardown: each stage's children deleted and gone before the next; then the finalizer goes. */
  private async finalize(sp: SalesPipeline, log: Logger): Promise<ReconcileResult> {
    if (!sp.metadata.finalizers?.includes(finalizer)) return {};
    const { namespace, name } = sp.metadata;
    const selector = `${labels.instance}=${name},${managedBySelector}`;
    if (sp.status?.phase !== 'Deleting') await this.writeStatus(sp, { ...sp.status, phase: 'Deleting' });
    for (const stage of teardownStages) {
      const kinds = ownedKinds.filter((k) => k.stage === stage);
      const remaining: KubeObject[] = [];
      for (const k of kinds) {
        const { items } = await this.deps.client
          .list(k, { namespace, labelSelector: selector })
          .catch((err: unknown) => {
            if (k.optional && isNotFound(err)) return { items: [] }; // CRD not installed: nothing of it to delete
            throw err;
          });
        remaining.push(
          ...items.filter((item) => item.metadata.ownerReferences?.some((r) => r.uid === sp.metadata.uid)),
        );
      }
      if (remaining.length > 0) {
        log.info({ stage, remaining: remaining.length }, 'teardown: deleting stage');
        await Promise.all(remaining.map((r) => this.deps.client.delete(resourceOf(r), namespace, r.metadata.name)));
        return { requeueAfterMs: this.deps.pollMs ?? 1_000, result: 'teardown' };
      }
    }
    const spec = withDefaults(sp.spec);
    if (spec.deletionPolicy === 'Delete') {
      for (const sel of volumeClaimSelectors(name, spec)) {
        const claims = await this.deps.client.list(resources.persistentVolumeClaim, { namespace, labelSelector: sel });
        for (const pvc of claims.items)
          await this.deps.client.delete(resources.persistentVolumeClaim, namespace, pvc.metadata.name);
      }
    }
    await this.deps.client.setFinalizers(
      sp,
      (sp.metadata.finalizers ?? []).filter((f) => f !== finalizer),
    );
    log.info('teardown complete; finalizer released');
    return { result: 'finalized' };
  }
}
