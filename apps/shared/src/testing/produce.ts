import { Partitioners, type Kafka } from 'kafkajs';
import type { AcceptedOrder } from '../order/schema.js';

/** Writes orders to the topic the way the ingest API does (key = order_id, acks=all). */
export async function produceOrders(
  kafka: Kafka,
  topic: string,
  orders: Array<AcceptedOrder | string>,
  timestamp = Date.now(),
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const messages = orders.map((o) =>
      typeof o === 'string'
        ? { key: 'poison', value: o, timestamp: String(timestamp) }
        : { key: o.order_id, value: JSON.stringify(o), timestamp: String(timestamp) },
    );
    // Requests of at most 500 messages and 512 KiB (the broker takes record batches up to 1 MiB).
    while (messages.length > 0) {
      let bytes = 0;
      let n = 0;
      while (
        n < Math.min(500, messages.length) &&
        (n === 0 || bytes + Buffer.byteLength(messages[n]!.value) <= 512 * 1024)
      ) {
        bytes += Buffer.byteLength(messages[n]!.value);
        n += 1;
      }
      await producer.send({ topic, acks: -1, messages: messages.splice(0, n) });
    }
  } finally {
    await producer.disconnect();
  }
}
