/** Strimzi: a KRaft Kafka with one combined controller+broker node pool, and the pipeline's topics. */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaSpecKafkaListenersType,
  KafkaTopic,
} from '../../imports/kafka.strimzi.io.js';
import { commonLabels, names, type Context } from './context.js';

export const strimziClusterLabel = 'strimzi.io/cluster';

export function desiredKafka(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'kafka', { disableResourceNameHashes: true });
  const sp = ctx.owner.name;
  const n = names(sp);
  const { kafka } = ctx.spec;
  const labels = commonLabels(sp, 'kafka');
  const replication = Math.min(3, kafka.replicas);
  const retentionMs = String(kafka.topics.retentionHours * 3600 * 1000);

  new Kafka(chart, 'kafka', {
    metadata: {
      name: n.kafka,
      labels,
      annotations: { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' },
    },
    spec: {
      kafka: {
        version: kafka.version,
        listeners: [{ name: 'plain', port: 9092, type: KafkaSpecKafkaListenersType.INTERNAL, tls: false }],
        config: {
          'offsets.topic.replication.factor': replication,
          'transaction.state.log.replication.factor': replication,
          'transaction.state.log.min.isr': Math.min(2, replication),
          'default.replication.factor': replication,
          'min.insync.replicas': Math.min(2, replication),
          'auto.create.topics.enable': false,
        },
      },
      entityOperator: { topicOperator: {} },
    },
  });

  new KafkaNodePool(chart, 'pool', {
    metadata: { name: n.nodePool, labels: { ...labels, [strimziClusterLabel]: n.kafka } },
    spec: {
      replicas: kafka.replicas,
      roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER],
      storage: {
        type: KafkaNodePoolSpecStorageType.PERSISTENT_HYPHEN_CLAIM,
        size: kafka.storage.size,
        deleteClaim: ctx.spec.deletionPolicy === 'Delete',
        ...(kafka.storage.storageClassName ? { class: kafka.storage.storageClassName } : {}),
      },
    },
  });

  const topics: Array<['' | 'dlq' | 'late', string, number]> = [
    ['', kafka.topics.name, kafka.topics.partitions],
    ['dlq', `${kafka.topics.name}.dlq`, Math.max(1, Math.ceil(kafka.topics.partitions / 4))],
    ['late', `${kafka.topics.name}.late`, Math.max(1, Math.ceil(kafka.topics.partitions / 4))],
  ];
  for (const [suffix, topicName, partitions] of topics) {
    new KafkaTopic(chart, `topic-${suffix || 'orders'}`, {
      metadata: { name: n.topic(suffix), labels: { ...labels, [strimziClusterLabel]: n.kafka } },
      spec: {
        topicName,
        partitions,
        replicas: replication,
        config: { 'retention.ms': retentionMs, 'cleanup.policy': 'delete' },
      },
    });
  }
  return chart;
}
