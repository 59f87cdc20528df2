/** Strimzi: a KRaft Kafka with one combined controller+broker node pool, and the pipeline's topics. */
import { topicPlan, topicsOf } from '@salespipeline/shared';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaTopic,
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations as Op,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType as Res,
  KafkaUserSpecAuthorizationType,
  type KafkaSpecKafkaListeners,
  type KafkaUserSpecAuthorizationAcls,
} from '../../imports/kafka.strimzi.io.js';
import type { KafkaAuthentication } from '../api/schema.js';
import { commonLabels, names, selectorLabels, type Context } from './context.js';

/** The label Strimzi sets on what belongs to a Kafka cluster (pods, volumes) and reads on its node pools, topics and users. */
export const strimziClusterLabel = 'strimzi.io/cluster';
/** Set on every Namespace by the apiserver: NetworkPolicies select namespaces by name with it. */
export const namespaceNameLabel = 'kubernetes.io/metadata.name';

/** The client listener: plain on 9092 (optionally SCRAM), or TLS with client certificates on 9093. */
export const kafkaListener = (authentication: KafkaAuthentication) =>
  authentication === 'tls' ? { name: 'tls', port: 9093, tls: true } : { name: 'plain', port: 9092, tls: false };

/**
 * Kafka's bootstrap servers: the external ones, or the Strimzi bootstrap Service (namespace-qualified
 * when `qualified`, for clients outside the pipeline's namespace: the operator, KEDA).
 */
export function kafkaBootstrapServers(
  owner: { name: string; namespace: string },
  spec: Context['spec'],
  qualified = false,
) {
  const { kafka } = spec;
  if (kafka.external) return kafka.external.bootstrapServers;
  const service = names(owner.name).kafkaBootstrap;
  return [`${qualified ? `${service}.${owner.namespace}.svc` : service}:${kafkaListener(kafka.authentication).port}`];
}

/**
 * The ACLs of each app's KafkaUser (least privilege): ingest produces to the orders topic;
 * the processor consumes it in its group (reading its retention, which bounds the dedupe set) and
 * produces to the DLQ and late topics. The dashboard
 * does not use Kafka and gets no user.
 */
export function kafkaAcls(ctx: Context): Record<'ingest' | 'processor', KafkaUserSpecAuthorizationAcls[]> {
  const topics = topicsOf(ctx.spec.kafka.topics.name);
  const literal = KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL;
  const topic = (name: string, ...operations: Op[]) => ({
    resource: { type: Res.TOPIC, name, patternType: literal },
    operations,
    host: '*',
  });
  return {
    ingest: [topic(topics.orders, Op.WRITE, Op.DESCRIBE)],
    processor: [
      topic(topics.orders, Op.READ, Op.DESCRIBE, Op.DESCRIBE_CONFIGS),
      topic(topics.dlq, Op.WRITE, Op.DESCRIBE),
      topic(topics.late, Op.WRITE, Op.DESCRIBE),
      {
        resource: { type: Res.GROUP, name: ctx.spec.processor.autoscaling.consumerGroup, patternType: literal },
        operations: [Op.READ, Op.DESCRIBE],
        host: '*',
      },
    ],
  };
}

/** The client listener, with its authentication and, with NetworkPolicies on, the peers it admits. */
function clientListener(ctx: Context): KafkaSpecKafkaListeners {
  const sp = ctx.owner.name;
  const auth = ctx.spec.kafka.authentication;
  const np = ctx.spec.networkPolicies;
  const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { [namespaceNameLabel]: ns } } });
  return {
    ...kafkaListener(auth),
    type: KafkaSpecKafkaListenersType.INTERNAL,
    ...(auth === 'none'
      ? {}
      : {
          authentication: {
            type:
              auth === 'tls'
                ? KafkaSpecKafkaListenersAuthenticationType.TLS
                : KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
          },
        }),
    // Strimzi generates the brokers' NetworkPolicy; these peers restrict its client listener to the
    // apps that use Kafka, the operator (lag) and, in keda mode, KEDA (lag).
    ...(np.enabled
      ? {
          networkPolicyPeers: [
            { podSelector: { matchLabels: selectorLabels(sp, 'ingest') } },
            { podSelector: { matchLabels: selectorLabels(sp, 'processor') } },
            byName(np.operatorNamespace),
            ...(ctx.spec.processor.autoscaling.mode === 'keda' ? [byName(np.kedaNamespace)] : []),
          ],
        }
      : {}),
  };
}

/** Replicas of the internal topics and of ours: up to 3, as many as there are brokers below that. */
const replicationOf = (ctx: Context) => Math.min(3, ctx.spec.kafka.replicas);

export function desiredKafka(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'kafka', { disableResourceNameHashes: true });
  const sp = ctx.owner.name;
  const n = names(sp);
  const { kafka } = ctx.spec;
  if (kafka.external) return chart; // not ours to run: the apps and the autoscaler connect to it
  const labels = commonLabels(sp, 'kafka');
  const replication = replicationOf(ctx);
  new Kafka(chart, 'kafka', {
    metadata: {
      name: n.kafka,
      labels,
      annotations: { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' },
    },
    spec: {
      kafka: {
        version: kafka.version,
        listeners: [clientListener(ctx)],
        ...(kafka.authentication === 'none' ? {} : { authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE } }),
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
  kafkaTopics(chart, ctx);
  if (kafka.authentication !== 'none') kafkaUsers(chart, ctx);
  return chart;
}

/** The topics of the plan, as Strimzi KafkaTopics. */
function kafkaTopics(chart: Chart, ctx: Context): void {
  const n = names(ctx.owner.name);
  const { topics } = ctx.spec.kafka;
  const labels = { ...commonLabels(ctx.owner.name, 'kafka'), [strimziClusterLabel]: n.kafka };
  const retentionMs = String(topics.retentionHours * 3600 * 1000);
  for (const { role, name: topicName, partitions } of topicPlan(topics.name, topics.partitions)) {
    new KafkaTopic(chart, `topic-${role}`, {
      metadata: { name: n.topic(role), labels },
      spec: {
        topicName,
        partitions,
        replicas: replicationOf(ctx),
        config: { 'retention.ms': retentionMs, 'cleanup.policy': 'delete' },
      },
    });
  }
}

/** One KafkaUser per app that uses Kafka, with its ACLs (authentication scram-sha-512 or tls). */
function kafkaUsers(chart: Chart, ctx: Context): void {
  const sp = ctx.owner.name;
  const n = names(sp);
  const acls = kafkaAcls(ctx);
  for (const app of ['ingest', 'processor'] as const) {
    new KafkaUser(chart, `user-${app}`, {
      metadata: {
        name: n.kafkaUser(app),
        labels: { ...commonLabels(sp, app), [strimziClusterLabel]: n.kafka },
      },
      spec: {
        authentication: {
          type:
            ctx.spec.kafka.authentication === 'tls'
              ? KafkaUserSpecAuthenticationType.TLS
              : KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
        },
        authorization: { type: KafkaUserSpecAuthorizationType.SIMPLE, acls: acls[app] },
      },
    });
  }
}
