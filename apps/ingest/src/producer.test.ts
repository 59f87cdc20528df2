import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger, DependencyUnavailableError } from '@salespipeline/shared';
import { OrderProducer } from './producer.js';

/** A kafkajs stand-in whose produce requests stay open until the test answers them. */
function fakeKafka() {
  const requests: Array<{ keys: string[]; ack: () => void; fail: (err: Error) => void }> = [];
  const producer = {
    events: { DISCONNECT: 'producer.disconnect' },
    on: () => undefined,
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: ({ messages }: { messages: Array<{ key: string }> }) =>
      new Promise((resolve, reject) =>
        requests.push({ keys: messages.map((m) => m.key), ack: () => resolve([]), fail: reject }),
      ),
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, requests };
}

const record = (key: string) => ({ key, value: `{"order_id":"${key}"}` });

/** The promise's state now: 'pending', 'ok' or the error's class name. */
function track(promise: Promise<void>): { state: string } {
  const t = { state: 'pending' };
  promise.then(
    () => (t.state = 'ok'),
    (err: unknown) => (t.state = (err as Error).constructor.name),
  );
  return t;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

describe('OrderProducer', () => {
  let producer: OrderProducer | undefined;
  afterEach(async () => {
    await producer?.close();
  });

  const start = async (lingerMs: number, maxRequestBytes = 10_000) => {
    const fake = fakeKafka();
    producer = new OrderProducer(fake.kafka, {
      topic: 'orders',
      maxRequestBytes,
      maxQueuedBytes: 1_000_000,
      ackTimeoutMs: 10_000,
      lingerMs,
      compression: 'none',
      registry: new Registry(),
      logger: createLogger('test', 'silent'),
    });
    await producer.start();
    return { producer, requests: fake.requests };
  };

  it('lets the first orders wait lingerMs for others to share their produce request', async () => {
    const { producer, requests } = await start(40);
    const a = track(producer.send([record('a')]));
    const b = track(producer.send([record('b'), record('c')]));
    expect(requests).toHaveLength(0);
    await until(() => requests.length === 1);
    expect(requests[0]!.keys).toEqual(['a', 'b', 'c']);
    await sleep(10);
    expect([a.state, b.state]).toEqual(['pending', 'pending']);
    requests[0]!.ack();
    await until(() => a.state === 'ok' && b.state === 'ok');
  });

  it('sends at once without a linger, and what queued meanwhile right after the acknowledgement', async () => {
    const { producer, requests } = await start(0);
    const a = track(producer.send([record('a')]));
    expect(requests.map((r) => r.keys)).toEqual([['a']]);
    const b = track(producer.send([record('b')]));
    const c = track(producer.send([record('c'), record('d')]));
    expect(requests).toHaveLength(1);
    requests[0]!.ack();
    await until(() => requests.length === 2);
    expect(requests[1]!.keys).toEqual(['b', 'c', 'd']);
    expect([a.state, b.state, c.state]).toEqual(['ok', 'pending', 'pending']);
    requests[1]!.ack();
    await until(() => b.state === 'ok' && c.state === 'ok');
  });

  it('fails exactly the requests whose orders were in a failed produce request', async () => {
    const { producer, requests } = await start(20);
    const a = track(producer.send([record('a'), record('b')]));
    await until(() => requests.length === 1);
    const c = track(producer.send([record('c')]));
    requests[0]!.fail(new Error('broker gone'));
    await until(() => a.state !== 'pending');
    expect(a.state).toBe(DependencyUnavailableError.name);
    await until(() => requests.length === 2);
    expect(requests[1]!.keys).toEqual(['c']);
    expect(c.state).toBe('pending');
    requests[1]!.ack();
    await until(() => c.state === 'ok');
  });

  it('does not split a request that fits in one produce request over two', async () => {
    // Each record is 1 + 16 bytes: a produce request takes 4 of them.
    const { producer, requests } = await start(0, 80);
    const a = track(producer.send([record('a')]));
    const b = track(producer.send(['b', 'c', 'd'].map(record)));
    const c = track(producer.send(['e', 'f'].map(record)));
    requests[0]!.ack();
    await until(() => requests.length === 2);
    expect(requests[1]!.keys).toEqual(['b', 'c', 'd']);
    requests[1]!.fail(new Error('broker gone'));
    await until(() => requests.length === 3);
    expect(requests[2]!.keys).toEqual(['e', 'f']);
    requests[2]!.ack();
    await until(() => c.state === 'ok');
    expect([a.state, b.state]).toEqual(['ok', DependencyUnavailableError.name]);
  });

  it('sends a request larger than one produce request over several, answered once all are acknowledged', async () => {
    // Each record is 1 + 16 bytes: a produce request takes 4 of them.
    const { producer, requests } = await start(0, 80);
    const a = track(producer.send(['a', 'b', 'c', 'd', 'e', 'f'].map(record)));
    const b = track(producer.send(['g'].map(record)));
    expect(requests.map((r) => r.keys)).toEqual([['a', 'b', 'c', 'd']]);
    requests[0]!.ack();
    await until(() => requests.length === 2);
    expect(requests[1]!.keys).toEqual(['e', 'f', 'g']);
    expect(a.state).toBe('pending');
    requests[1]!.ack();
    await until(() => a.state === 'ok' && b.state === 'ok');
  });

  it('drops the orders of a request answered 503 at its deadline before they were sent', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const fake = fakeKafka();
    try {
      producer = new OrderProducer(fake.kafka, {
        topic: 'orders',
        maxRequestBytes: 10_000,
        maxQueuedBytes: 1_000_000,
        ackTimeoutMs: 100,
        lingerMs: 0,
        compression: 'none',
        registry: new Registry(),
        logger: createLogger('test', 'silent'),
      });
      await producer.start();
      const settle = () => new Promise((resolve) => setImmediate(resolve));
      const a = track(producer.send([record('a')]));
      const b = track(producer.send([record('b'), record('c')]));
      jest.advanceTimersByTime(100);
      await settle();
      expect([a.state, b.state]).toEqual([DependencyUnavailableError.name, DependencyUnavailableError.name]);
      const c = track(producer.send([record('d')]));
      expect(fake.requests.map((r) => r.keys)).toEqual([['a'], ['d']]);
      fake.requests[1]!.ack();
      await settle();
      expect(c.state).toBe('ok');
    } finally {
      // Whatever failed, nothing stays in flight for close().
      for (const request of fake.requests) request.ack();
      await new Promise((resolve) => setImmediate(resolve));
      jest.useRealTimers();
    }
  });
});
