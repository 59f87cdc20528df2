import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function ingestMetrics(registry: Registry) {
  const registers = [registry];
  return {
    accepted: new Counter({
      name: 'ingest_orders_accepted_total',
      help: 'Orders acknowledged by Kafka and answered 202',
      registers,
    }),
    rejected: new Counter({
      name: 'ingest_orders_rejected_total',
      help: 'Requests answered with an error, by reason',
      labelNames: ['reason'],
      registers,
    }),
    duration: new Histogram({
      name: 'ingest_request_duration_seconds',
      help: 'Request latency by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: 'ingest_requests_in_flight',
      help: 'Order requests received and not answered yet, by route',
      labelNames: ['route'],
      registers,
    }),
  };
}

export type IngestMetrics = ReturnType<typeof ingestMetrics>;
