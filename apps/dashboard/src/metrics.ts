import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function dashboardMetrics(registry: Registry) {
  const registers = [registry];
  return {
    clients: new Gauge({
      name: 'dashboard_sse_clients',
      help: 'Connected Server-Sent-Events clients, by range',
      labelNames: ['range'],
      registers,
    }),
    refreshes: new Counter({
      name: 'dashboard_refresh_total',
      help: 'Ticks of the shared query loop: skipped (nothing changed), computed, error',
      labelNames: ['result'],
      registers,
    }),
    refreshDuration: new Histogram({
      name: 'dashboard_refresh_duration_seconds',
      help: 'Time of one tick of the shared query loop that recomputed at least one range',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pushes: new Counter({
      name: 'dashboard_snapshots_pushed_total',
      help: 'Changed snapshots broadcast (one per range and change, whatever the number of clients)',
      labelNames: ['range'],
      registers,
    }),
    eventsSent: new Counter({
      name: 'dashboard_sse_events_sent_total',
      help: 'SSE events written to clients, by event',
      labelNames: ['event'],
      registers,
    }),
    storeUp: new Gauge({
      name: 'dashboard_store_up',
      help: '1 while the last read of the store succeeded',
      labelNames: ['store'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'dashboard_http_request_duration_seconds',
      help: 'API request latency by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

export type DashboardMetrics = ReturnType<typeof dashboardMetrics>;
