/** The manager's Prometheus metrics (controller-runtime's names, salespipeline_ prefix dropped). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function managerMetrics(registry: Registry, controller: string) {
  const labelNames = ['controller'] as const;
  const m = {
    reconcileTotal: new Counter({
      name: 'controller_reconcile_total',
      help: 'Reconciles by result (success, requeue, error, invalid)',
      labelNames: ['controller', 'result'] as const,
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'controller_reconcile_errors_total',
      help: 'Reconciles that failed',
      labelNames,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'controller_reconcile_duration_seconds',
      help: 'Reconcile duration by result',
      labelNames: ['controller', 'result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'workqueue_depth', help: 'Keys waiting', labelNames, registers: [registry] }),
    queueAdds: new Counter({ name: 'workqueue_adds_total', help: 'Keys added', labelNames, registers: [registry] }),
    queueRetries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Keys re-queued with backoff',
      labelNames,
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: 'watch_restarts_total',
      help: 'Watches restarted (error, gone, silence)',
      labelNames: ['controller', 'resource', 'reason'] as const,
      registers: [registry],
    }),
    isLeader: new Gauge({
      name: 'leader_election_is_leader',
      help: '1 while leading',
      labelNames,
      registers: [registry],
    }),
  };
  return {
    ...m,
    queueHooks: {
      onAdd: () => m.queueAdds.inc({ controller }),
      onRetry: () => m.queueRetries.inc({ controller }),
      onDepth: (d: number) => m.queueDepth.set({ controller }, d),
    },
  };
}
export type ManagerMetrics = ReturnType<typeof managerMetrics>;
