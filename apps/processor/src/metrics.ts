import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The processor's metrics. One flat list of declarations, each a few lines: longer than most functions, read as a table. */
export function processorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'processor_messages_consumed_total', help: 'Messages read from Kafka', registers }),
    processed: new Counter({
      name: 'processor_orders_processed_total',
      help: 'New orders committed (raw stored, aggregated unless late)',
      registers,
    }),
    duplicates: new Counter({
      name: 'processor_orders_duplicate_total',
      help: 'Orders whose order_id was already counted: they change nothing',
      registers,
    }),
    fenced: new Counter({
      name: 'processor_messages_fenced_total',
      help: 'Messages skipped because their offset was already applied (restart, rebalance, zombie)',
      registers,
    }),
    late: new Counter({ name: 'processor_orders_late_total', help: 'Orders beyond the lateness bound', registers }),
    dlq: new Counter({
      name: 'processor_messages_dlq_total',
      help: 'Messages sent to the dead-letter topic, by kind',
      labelNames: ['kind'],
      registers,
    }),
    rejected: new Counter({
      name: 'processor_messages_rejected_total',
      help: 'Messages a sink refused for good (a permanent error): sent to the dead-letter topic with the reason',
      labelNames: ['sink'],
      registers,
    }),
    groupJoins: new Counter({
      name: 'processor_group_joins_total',
      help: 'Times this member joined the consumer group (start and every rebalance)',
      registers,
    }),
    assigned: new Gauge({
      name: 'processor_partitions_assigned',
      help: 'Partitions of the orders topic assigned to this member',
      registers,
    }),
    topicResets: new Counter({
      name: 'processor_topic_resets_total',
      help: 'Partitions found recreated (offsets started over): read again from their start',
      labelNames: ['partition'],
      registers,
    }),
    skipped: new Counter({
      name: 'processor_offset_gap_messages_total',
      help: 'Messages deleted from Kafka (retention) before they were applied: never counted. Alert on any',
      labelNames: ['partition'],
      registers,
    }),
    pruned: new Counter({
      name: 'processor_processed_orders_pruned_total',
      help: 'Order ids deleted from processed_orders after the retention',
      registers,
    }),
    batchDuration: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'Time to apply one partition batch (all sinks and the commit)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchSize: new Histogram({
      name: 'processor_batch_messages',
      help: 'Messages per applied batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    sinkDuration: new Histogram({
      name: 'processor_sink_duration_seconds',
      help: 'Time spent in each sink per batch',
      labelNames: ['sink'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    sinkErrors: new Counter({
      name: 'processor_sink_errors_total',
      help: 'Failed batch attempts, by the step that failed',
      labelNames: ['sink'],
      registers,
    }),
    lag: new Gauge({
      name: 'processor_partition_lag',
      help: 'Messages behind the high watermark, per partition',
      labelNames: ['partition'],
      registers,
    }),
    paused: new Gauge({
      name: 'processor_partitions_paused',
      help: 'Partitions paused while a sink is down',
      registers,
    }),
    freshness: new Histogram({
      name: 'processor_freshness_seconds',
      help: 'Aggregate commit time minus accept time, per order',
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers,
    }),
  };
}

export type ProcessorMetrics = ReturnType<typeof processorMetrics>;
