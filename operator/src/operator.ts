/** Wires the manager (informers, leader election, runnables) to the SalesPipeline controller and the autoscaler. */
import { hostname } from 'node:os';
import {
  apiVersion,
  childKinds,
  fieldManager,
  kind,
  kindKey,
  managedBySelector,
  ownedKinds,
  type SalesPipeline,
} from '@salespipeline/cdk8s';
import { createRegistry, type ConfigOf, type Logger } from '@salespipeline/shared';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { Autoscaler } from './autoscaler/autoscaler.js';
import { KafkaLagReader, type LagReader } from './autoscaler/lag.js';
import type { operatorSettings } from './config.js';
import { loadKubeConfig } from './kube/config.js';
import { EventRecorder } from './kube/events.js';
import { resources } from './kube/objects.js';
import { KubeRest } from './kube/rest.js';
import { Controller, ownerKey } from './manager/controller.js';
import type { Informer } from './manager/informer.js';
import type { LeaderOptions } from './manager/leader.js';
import { Manager } from './manager/manager.js';
import { managerMetrics } from './manager/metrics.js';
import { readSecret } from './reconciler/observe.js';
import { SalesPipelineReconciler } from './reconciler/salespipeline.js';

export type OperatorConfig = ConfigOf<typeof operatorSettings>;

export interface Operator {
  registry: Registry;
  manager: Manager;
  controller: Controller<SalesPipeline>;
  isLeader: () => boolean;
  /** Every watch synced and alive. */
  watchesAlive: () => boolean;
  stop: () => Promise<void>;
}

const controllerName = 'salespipeline';

function leaderElection(config: OperatorConfig): LeaderOptions | undefined {
  if (!config.leaderElection) return undefined;
  return {
    namespace: config.leaderElectionNamespace,
    name: config.leaderElectionId,
    identity: config.podName ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewDeadlineMs: config.renewDeadlineSeconds * 1000,
    retryPeriodMs: config.retryPeriodSeconds * 1000,
  };
}

function createManager(config: OperatorConfig, logger: Logger, registry: Registry, kubeConfig?: KubeConfig) {
  const leader = leaderElection(config);
  return new Manager(
    new KubeRest(kubeConfig ?? loadKubeConfig(config.kubeconfig)),
    {
      name: controllerName,
      watchSilenceMs: config.watchSilenceSeconds * 1000,
      metrics: managerMetrics(registry, controllerName),
      ...(leader ? { leaderElection: leader } : {}),
    },
    logger,
  );
}

/** The caches: SalesPipelines, and the children of every owned kind (by kindKey), selected on managed-by. */
function informers(manager: Manager, namespace: string | undefined) {
  const primary = manager.informer<SalesPipeline>({ resource: resources.salesPipeline, namespace });
  const children = new Map<string, Informer>(
    ownedKinds.map((k) => [
      kindKey(k.apiVersion, k.kind),
      manager.informer({ resource: k, namespace, labelSelector: managedBySelector, optional: k.optional ?? false }),
    ]),
  );
  return { primary, children };
}

export function startOperator(
  config: OperatorConfig,
  logger: Logger,
  opts: { kubeConfig?: KubeConfig; registry?: Registry; lagReader?: LagReader } = {},
): Operator {
  const registry = opts.registry ?? createRegistry('salespipeline-operator');
  const manager = createManager(config, logger, registry, opts.kubeConfig);
  const { primary, children } = informers(manager, config.watchNamespace);
  const { client } = manager;
  const events = new EventRecorder(client, fieldManager, logger);
  const autoscaler = new Autoscaler({
    primary,
    deployments: children.get(kindKey(childKinds.deployment.apiVersion, childKinds.deployment.kind)),
    lagReader: opts.lagReader ?? new KafkaLagReader(logger),
    client,
    events,
    registry,
    logger: logger.child({ component: 'autoscaler' }),
    ...(config.kafkaBootstrapOverride ? { bootstrapOverride: config.kafkaBootstrapOverride } : {}),
    readSecret: (secretNamespace, name) => readSecret(client, secretNamespace, name),
    statusRefreshMs: config.autoscalerStatusSeconds * 1000,
  });
  const reconciler = new SalesPipelineReconciler({ client, events, primary, children, logger, autoscaler });
  const controller = new Controller(
    {
      name: controllerName,
      primary,
      owned: [...children.values()],
      mapOwned: ownerKey(apiVersion, kind),
      reconcile: reconciler.reconcile,
      onTerminal: reconciler.reportTerminal,
      workers: config.workers,
      resyncMs: config.resyncSeconds * 1000,
      queue: { qps: config.queueQps, burst: config.queueBurst },
    },
    manager.metrics,
    logger,
  );
  autoscaler.onRescale((key) => controller.enqueue(key));
  manager.add(controller);
  manager.add(autoscaler);
  manager.start();

  return {
    registry,
    manager,
    controller,
    isLeader: () => manager.isLeader(),
    watchesAlive: () => manager.watchesAlive(),
    stop: () => manager.stop(),
  };
}
