import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { createKafka, createLogger } from '@salespipeline/shared';
import { testInfra, uniqueName, waitFor } from '@salespipeline/shared/testing';

describe('Kafka (real broker)', () => {
  const infra = testInfra();
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = createKafka(infra, createLogger('test', 'warn'));
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('does not auto-create topics: the platform creates them', async () => {
    const topic = uniqueName('smoke_absent');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1 } });
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('round-trips a message through a created topic', async () => {
    const topic = uniqueName('smoke');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const value = JSON.stringify({ hello: topic });
    const [ack] = await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value }] });
    await producer.disconnect();
    expect(ack?.errorCode).toBe(0);

    const consumer = kafka.consumer({ groupId: uniqueName('smoke_group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Array<{ key: string; value: string; partition: number }> = [];
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        received.push({ key: String(message.key), value: String(message.value), partition });
      },
    });
    await waitFor(async () => received.length > 0, { what: 'the message to be consumed' });
    await consumer.disconnect();
    expect(received).toEqual([{ key: 'k1', value, partition: ack!.partition }]);
    await admin.deleteTopics({ topics: [topic] });
  });
});
