/** Wires the manager (informers, queue, leader election, metrics) to the SalesPipeline reconciler. */
import { hostname } from 'node:os';
import {
  apiVersion,
  childKinds,
  fieldManager,
  kind,
  kindKey,
  managedBySelector,
  ownedKinds,
  plural,
  type SalesPipeline,
} from '@salespipeline/cdk8s';
import { createRegistry, type ConfigOf, type Logger } from '@salespipeline/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { Writer } from './apply.js';
import { Autoscaler } from './autoscaler/autoscaler.js';
import { KafkaLagReader, type LagReader } from './autoscaler/lag.js';
import type { operatorSettings } from './config.js';
import { EventRecorder } from './events.js';
import { loadKubeConfig } from './kube/config.js';
import { KubeRest } from './kube/rest.js';
import { Controller, ownerKey } from './manager/controller.js';
import { Informer, type Obj } from './manager/informer.js';
import { LeaderElector } from './manager/leader.js';
import { managerMetrics } from './manager/metrics.js';
import { readSecret } from './reconciler/observe.js';
import { SalesPipelineReconciler } from './reconciler/salespipeline.js';

export type OperatorConfig = ConfigOf<typeof operatorSettings>;

export interface Operator {
  registry: Registry;
  rest: KubeRest;
  controller: Controller<SalesPipeline & Obj>;
  isLeader: () => boolean;
  /** Every watch synced and alive. */
  watchesAlive: () => boolean;
  informers: Informer[];
  autoscaler: Autoscaler;
  stop: () => Promise<void>;
}

export function startOperator(
  config: OperatorConfig,
  logger: Logger,
  opts: { kubeConfig?: KubeConfig; registry?: Registry; lagReader?: LagReader } = {},
): Operator {
  const rest = new KubeRest(opts.kubeConfig ?? loadKubeConfig(config.kubeconfig));
  const registry = opts.registry ?? createRegistry('salespipeline-operator');
  const metrics = managerMetrics(registry, 'salespipeline');
  const namespace = config.watchNamespace;
  const silenceMs = config.watchSilenceSeconds * 1000;
  const onRestart = (resource: string) => (reason: string) =>
    metrics.watchRestarts.inc({ controller: 'salespipeline', resource, reason });

  const primary = new Informer<SalesPipeline & Obj>(
    rest,
    { apiVersion, plural, namespace, silenceMs, onRestart: onRestart(plural) },
    logger,
  );
  const children = new Map<string, Informer>();
  for (const k of ownedKinds) {
    children.set(
      kindKey(k.apiVersion, k.kind),
      new Informer(
        rest,
        {
          apiVersion: k.apiVersion,
          plural: k.plural,
          namespace,
          labelSelector: managedBySelector,
          silenceMs,
          onRestart: onRestart(k.plural),
          ...(k.optional ? { optional: true } : {}),
        },
        logger,
      ),
    );
  }

  let elector: LeaderElector | undefined;
  const isLeader = () => (elector ? elector.isLeader() : true);
  const writer = new Writer(rest, isLeader);
  const events = new EventRecorder(rest, fieldManager, isLeader, logger);
  // The controller is created below; the autoscaler enqueues through it once it exists.
  let enqueue: (key: string) => void = () => undefined;
  let active: () => boolean = () => false;
  const autoscaler = new Autoscaler({
    primary,
    deployments: children.get(kindKey(childKinds.deployment.apiVersion, childKinds.deployment.kind)),
    lagReader: opts.lagReader ?? new KafkaLagReader(logger),
    writer,
    events,
    isActive: () => active(),
    enqueue: (key) => enqueue(key),
    registry,
    logger: logger.child({ component: 'autoscaler' }),
    ...(config.kafkaBootstrapOverride ? { bootstrapOverride: config.kafkaBootstrapOverride } : {}),
    readSecret: (namespace, name) => readSecret(rest, namespace, name),
    statusRefreshMs: config.autoscalerStatusSeconds * 1000,
  });
  const reconciler = new SalesPipelineReconciler({ rest, writer, events, primary, children, logger, autoscaler });
  const controller = new Controller(
    {
      name: 'salespipeline',
      primary,
      owned: [...children.values()],
      mapOwned: ownerKey(apiVersion, kind),
      reconcile: reconciler.reconcile,
      workers: config.workers,
      resyncMs: config.resyncSeconds * 1000,
      queue: { qps: config.queueQps, burst: config.queueBurst },
    },
    metrics,
    logger,
  );
  enqueue = (key) => controller.enqueue(key);
  active = () => controller.isRunning && isLeader();
  autoscaler.start();
  const informers: Informer[] = [primary as unknown as Informer, ...children.values()];
  for (const inf of informers) inf.start();

  // Workers start once the caches are synced (and, with leader election, once leading).
  let wantWorkers = !config.leaderElection;
  const synced = () => informers.every((i) => i.hasSynced());
  const syncTimer = setInterval(() => {
    if (wantWorkers && synced() && !controller.isRunning) controller.startWorkers();
  }, 50);
  syncTimer.unref();

  if (config.leaderElection) {
    elector = new LeaderElector(
      rest,
      {
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: config.podName ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        leaseDurationMs: config.leaseDurationSeconds * 1000,
        renewDeadlineMs: config.renewDeadlineSeconds * 1000,
        retryPeriodMs: config.retryPeriodSeconds * 1000,
      },
      logger,
      {
        onStarted: () => {
          metrics.isLeader.set({ controller: 'salespipeline' }, 1);
          wantWorkers = true;
        },
        onStopped: () => {
          metrics.isLeader.set({ controller: 'salespipeline' }, 0);
          wantWorkers = false;
          void controller.stopWorkers();
        },
      },
    );
    elector.start();
  }

  return {
    registry,
    rest,
    controller,
    informers,
    isLeader,
    autoscaler,
    watchesAlive: () => informers.every((i) => i.isAlive()),
    stop: async () => {
      clearInterval(syncTimer);
      wantWorkers = false;
      await controller.stopWorkers();
      await autoscaler.stop();
      await elector?.stop();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
