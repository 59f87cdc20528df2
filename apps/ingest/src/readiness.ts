import type { Kafka } from 'kafkajs';
import type { ReadinessCheck } from '@salespipeline/shared';
import type { OrderProducer } from './producer.js';

/**
 * Ready while the producer is connected and the orders topic has partitions. The admin client
 * connects on the first check and stays connected; close() disconnects it.
 */
export function kafkaReadiness(kafka: Kafka, producer: OrderProducer, topic: string) {
  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  const check: ReadinessCheck = {
    name: 'kafka',
    check: async () => {
      if (!producer.isConnected) throw new Error('producer not connected');
      adminConnected ??= admin.connect().catch((err: unknown) => {
        adminConnected = undefined;
        throw err;
      });
      await adminConnected;
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      if (!meta.topics[0]?.partitions.length) throw new Error(`topic ${topic} has no partitions`);
    },
  };
  return {
    check,
    close: async () => {
      if (adminConnected) await admin.disconnect();
    },
  };
}
