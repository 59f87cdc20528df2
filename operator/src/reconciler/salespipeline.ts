/**
 * The SalesPipeline reconciler: observe → desired → apply → status; finalizer-driven ordered
 * teardown; pause annotation; invalid specs reported in status, never thrown.
 */
import {
  apiVersion,
  childKinds,
  desiredState,
  endpoints,
  finalizer,
  InvalidSpecError,
  kind,
  kindKey,
  labels,
  managedBySelector,
  names,
  ownedKind,
  ownedKinds,
  pauseAnnotation,
  plural,
  teardownStages,
  validSpec,
  volumeClaimSelectors,
  withDefaults,
  type Condition,
  type KubeObject,
  type Phase,
  type SalesPipeline,
  type SalesPipelineSpec,
  type SalesPipelineStatus,
} from '@salespipeline/cdk8s';
import type { Logger } from '@salespipeline/shared';
import type { Writer } from '../apply.js';
import type { EventRecorder } from '../events.js';
import { isNotFound, KubeApiError, type KubeRest } from '../kube/rest.js';
import type { ReconcileResult } from '../manager/controller.js';
import type { Informer, Obj } from '../manager/informer.js';
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
} from '../status.js';
import { MissingSecretError, observe } from './observe.js';
import { probeTcp, type Probe } from './probe.js';

export interface ReconcilerDeps {
  rest: KubeRest;
  writer: Writer;
  events: EventRecorder;
  primary: Informer<SalesPipeline & Obj>;
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

/** 422 Invalid (and 400 BadRequest for malformed values): the object itself is wrong. */
const isInvalid = (err: unknown) => err instanceof KubeApiError && (err.status === 422 || err.status === 400);

export class ChildRejectedError extends Error {
  readonly child: string;
  constructor(obj: KubeObject, cause: KubeApiError) {
    super(`${obj.kind} ${obj.metadata.name} rejected by the apiserver: ${cause.message}`);
    this.name = 'ChildRejectedError';
    this.child = `${obj.kind}/${obj.metadata.name}`;
  }
}

export class SalesPipelineReconciler {
  constructor(private readonly d: ReconcilerDeps) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    const sp = this.d.primary.cache.get(key);
    if (!sp) return {};
    const log = this.d.logger.child({ salespipeline: key, generation: sp.metadata.generation });
    if (sp.metadata.deletionTimestamp) return this.finalize(sp, log);
    if (sp.metadata.annotations?.[pauseAnnotation] === 'true') {
      await this.writeStatus(sp, { ...sp.status, phase: 'Paused' });
      return { result: 'paused' };
    }
    if (!sp.metadata.finalizers?.includes(finalizer)) {
      await this.d.writer.setFinalizers(apiVersion, plural, sp.metadata, [
        ...(sp.metadata.finalizers ?? []),
        finalizer,
      ]);
    }

    let spec: SalesPipelineSpec;
    try {
      spec = validSpec(sp);
    } catch (err) {
      if (!(err instanceof InvalidSpecError)) throw err;
      return this.reportInvalid(sp, 'InvalidSpec', err.problems.join('; '));
    }
    let desired: KubeObject[];
    try {
      const observed = await observe(this.d.rest, sp, spec);
      const processorReplicas = this.d.autoscaler?.replicasFor(key, sp.metadata.uid);
      desired = desiredState(sp, processorReplicas === undefined ? observed : { ...observed, processorReplicas });
    } catch (err) {
      if (err instanceof MissingSecretError) return this.reportInvalid(sp, 'MySQLSecretMissing', err.message, 30_000);
      throw err;
    }

    try {
      await Promise.all(
        desired.map((obj) =>
          this.d.writer.apply(obj).catch((err: unknown) => {
            throw isInvalid(err) ? new ChildRejectedError(obj, err as KubeApiError) : err;
          }),
        ),
      );
    } catch (err) {
      // The apiserver refused a child as invalid (e.g. requests above limits, an immutable StatefulSet
      // field changed): only a spec change can fix that, so it is reported, not retried.
      if (err instanceof ChildRejectedError) {
        log.warn({ child: err.child, err: err.message }, 'child rejected by the apiserver');
        return this.reportInvalid(sp, 'ChildRejected', err.message);
      }
      // An optional add-on's CRD (KEDA's ScaledObject) not installed: say so instead of retrying blindly.
      const missing = desired.find((o) => ownedKinds.some((k) => k.optional && k.kind === o.kind));
      if (missing && isNotFound(err) && String(err).includes(ownedKind(missing.apiVersion, missing.kind).plural))
        return this.reportInvalid(
          sp,
          'CRDNotInstalled',
          `${missing.kind} (${missing.apiVersion}) is not served: install its CRD (KEDA for autoscaling mode keda)`,
          30_000,
        );
      throw err;
    }
    await this.prune(sp, desired);
    log.debug({ objects: desired.length }, 'applied');
    const ready = await this.updateStatus(sp, spec);
    return ready ? {} : { requeueAfterMs: 30_000 };
  };

  /** Children this SalesPipeline controls, from the caches. */
  private owned(sp: SalesPipeline): Array<{ inf: Informer; obj: Obj }> {
    const out: Array<{ inf: Informer; obj: Obj }> = [];
    for (const inf of this.d.children.values()) {
      for (const obj of inf.cache.values()) {
        if (obj.metadata.namespace !== sp.metadata.namespace) continue;
        if (obj.metadata.ownerReferences?.some((r) => r.controller && r.uid === sp.metadata.uid))
          out.push({ inf, obj });
      }
    }
    return out;
  }

  /** Deletes owned children no longer desired (e.g. monitoring or the dashboard switched off). */
  private async prune(sp: SalesPipeline, desired: KubeObject[]): Promise<void> {
    const wanted = new Set(desired.map((o) => `${kindKey(o.apiVersion, o.kind)}/${o.metadata.name}`));
    for (const { inf, obj } of this.owned(sp)) {
      const k = ownedKinds.find((o) => o.apiVersion === inf.opts.apiVersion && o.plural === inf.opts.plural)!;
      if (!wanted.has(`${kindKey(k.apiVersion, k.kind)}/${obj.metadata.name}`)) {
        await this.d.writer.delete(k.apiVersion, k.plural, sp.metadata.namespace, obj.metadata.name);
      }
    }
  }

  private child(k: { apiVersion: string; kind: string }, namespace: string, name: string): Obj | undefined {
    return this.d.children.get(kindKey(k.apiVersion, k.kind))?.cache.get(`${namespace}/${name}`);
  }

  private async updateStatus(sp: SalesPipeline, spec: SalesPipelineSpec): Promise<boolean> {
    const ns = sp.metadata.namespace;
    const n = names(sp.metadata.name);
    const processor = this.child(childKinds.deployment, ns, n.app('processor'));
    const probe = this.d.probe ?? probeTcp();
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

  private async reportInvalid(
    sp: SalesPipeline,
    reason: string,
    message: string,
    retryMs?: number,
  ): Promise<ReconcileResult> {
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
    return { result: 'invalid', ...(retryMs ? { requeueAfterMs: retryMs } : {}) };
  }

  private async writeStatus(sp: SalesPipeline, full: SalesPipelineStatus): Promise<void> {
    // status.autoscaling belongs to the autoscaler (its own field manager): never applied from here.
    const { autoscaling: _mine, ...status } = full;
    const { autoscaling: _theirs, ...before } = sp.status ?? {};
    if (sameStatus(before, status)) return;
    const { namespace, name, uid } = sp.metadata;
    await this.d.writer.applyStatus(apiVersion, kind, plural, namespace, name, status);
    const involved = { apiVersion, kind, name, namespace, ...(uid ? { uid } : {}) };
    // Events on transitions: phase and each condition whose status changed.
    if (status.phase !== sp.status?.phase) {
      const warn = status.phase === 'Invalid' || status.phase === 'Degraded';
      const why = status.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
      await this.d.events.record(
        involved,
        warn ? 'Warning' : 'Normal',
        `Phase${status.phase}`,
        `phase ${status.phase}: ${why}`,
      );
    }
    for (const c of status.conditions ?? []) {
      const before = sp.status?.conditions?.find((o) => o.type === c.type);
      if (before && before.status !== c.status && c.type !== 'Ready') {
        await this.d.events.record(
          involved,
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
      const remaining: Array<{ apiVersion: string; plural: string; name: string }> = [];
      for (const k of kinds) {
        const items = await this.d.writer
          .list<Obj>(k.apiVersion, k.plural, namespace, selector)
          .catch((err: unknown) => {
            if (k.optional && isNotFound(err)) return []; // CRD not installed: nothing of it to delete
            throw err;
          });
        for (const item of items) {
          if (item.metadata.ownerReferences?.some((r) => r.uid === sp.metadata.uid)) {
            remaining.push({ apiVersion: k.apiVersion, plural: k.plural, name: item.metadata.name });
          }
        }
      }
      if (remaining.length > 0) {
        log.info({ stage, remaining: remaining.length }, 'teardown: deleting stage');
        await Promise.all(remaining.map((r) => this.d.writer.delete(r.apiVersion, r.plural, namespace, r.name)));
        return { requeueAfterMs: this.d.pollMs ?? 1_000, result: 'teardown' };
      }
    }
    const spec = withDefaults(sp.spec);
    if (spec.deletionPolicy === 'Delete') {
      for (const sel of volumeClaimSelectors(name, spec)) {
        for (const pvc of await this.d.writer.list<Obj>('v1', 'persistentvolumeclaims', namespace, sel)) {
          await this.d.writer.delete('v1', 'persistentvolumeclaims', namespace, pvc.metadata.name);
        }
      }
    }
    await this.d.writer.setFinalizers(
      apiVersion,
      plural,
      sp.metadata,
      (sp.metadata.finalizers ?? []).filter((f) => f !== finalizer),
    );
    log.info('teardown complete; finalizer released');
    return { result: 'finalized' };
  }
}
