import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AcceptedOrder } from '@salespipeline/shared';
import { TcpProxy, testInfra, waitFor, kafkaVia } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import {
  countProcessed,
  createTestEnv,
  hostPort,
  metricValue,
  offsetRowLockWaits,
  produceOrders,
  type TestEnv,
  expectExact,
  recentOrders,
} from './helpers.js';

jest.setTimeout(300_000);

type Link = 'kafka' | 'cassandra' | 'mysql';

// A hang is a network that stops delivering without closing anything: nothing fails fast, every
// request just waits. Each processor under test reaches Kafka, Cassandra and MySQL through proxies
// of its own, so one member hangs while the other members and the shared services do not.
describe('processor: Kafka, Cassandra or MySQL hangs (two members in one group)', () => {
  const infra = testInfra();
  let env: TestEnv;
  const produced: AcceptedOrder[] = [];
  const running = new Map<RunningProcessor, Record<Link, TcpProxy> | undefined>();
  let round = 0;

  const send = async (count: number) => {
    const orders = recentOrders(`hang-${round++}`, count);
    produced.push(...orders);
    await produceOrders(env.kafka, env.topic, orders);
  };
  const exact = () => expectExact(env, produced);
  const metric = (p: RunningProcessor, name: string) => metricValue(p.opsUrl, name);

  /** A member whose every connection goes through proxies the test can hang. */
  const startProxied = async (extra: Record<string, string>) => {
    const proxies: Record<Link, TcpProxy> = {
      kafka: new TcpProxy(...hostPort(infra.kafkaBrokers[0]!)),
      cassandra: new TcpProxy(...hostPort(infra.cassandraContactPoints[0]!)),
      mysql: new TcpProxy(...hostPort(new URL(infra.mysqlUrl).host)),
    };
    for (const proxy of Object.values(proxies)) await proxy.start();
    const url = new URL(env.env.MYSQL_URL!);
    url.host = `127.0.0.1:${proxies.mysql.port}`;
    const processor = await startProcessor(
      env.config({
        CASSANDRA_CONTACT_POINTS: `127.0.0.1:${proxies.cassandra.port}`,
        MYSQL_URL: url.toString(),
        ...extra,
      }),
      { kafka: kafkaVia(proxies.kafka.port, 'processor-proxied') },
    );
    running.set(processor, proxies);
    return { processor, proxies };
  };
  const startDirect = async (extra: Record<string, string>) => {
    const processor = await startProcessor(env.config(extra));
    running.set(processor, undefined);
    return processor;
  };
  const stopAll = async () => {
    for (const [processor, proxies] of running) {
      for (const proxy of Object.values(proxies ?? {})) proxy.resume();
      await processor.stop();
      for (const proxy of Object.values(proxies ?? {})) await proxy.cut();
    }
    running.clear();
  };

  beforeAll(async () => {
    env = await createTestEnv('hang', 4);
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await env?.cleanup();
  });

  for (const sink of ['mysql', 'cassandra'] as const) {
    it(`${sink} hangs for one member: it still takes part in rebalances, the other member goes on, then exact`, async () => {
      const hung = await startProxied({
        PROCESSOR_SINK_TIMEOUT_MS: '2000',
        PROCESSOR_RETRY_MAX_MS: '1000',
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        // At most one partition's offset row locked by a hung transaction.
        PROCESSOR_PARTITIONS_CONCURRENCY: '1',
      });
      await send(200);
      await exact();
      hung.proxies[sink].hang();
      const before = await countProcessed(env.pool);
      const errors = await metric(hung.processor, 'processor_sink_errors_total');
      await send(200);
      await waitFor(async () => (await metric(hung.processor, 'processor_sink_errors_total')) > errors, {
        what: `the ${sink} hang noticed`,
      });
      const joins = await metric(hung.processor, 'processor_group_joins_total');
      const other = await startDirect({ KAFKA_SESSION_TIMEOUT_MS: '10000' });
      await waitFor(
        async () =>
          (await metric(hung.processor, 'processor_group_joins_total')) > joins &&
          (await metric(other, 'processor_partitions_assigned')) > 0,
        { timeoutMs: 120_000, what: 'the hung member rejoining the rebalance' },
      );
      await waitFor(async () => (await countProcessed(env.pool)) > before, {
        timeoutMs: 120_000,
        what: 'the other member counting orders while the sink hangs',
      });
      hung.proxies[sink].resume();
      await exact();
    });
  }

  it('Kafka hangs for one member: its session expires, the other member takes every partition, then exact', async () => {
    const hung = await startProxied({ KAFKA_SESSION_TIMEOUT_MS: '6000' });
    const other = await startDirect({ KAFKA_SESSION_TIMEOUT_MS: '6000' });
    await send(200);
    await exact();
    hung.proxies.kafka.hang();
    await send(200);
    await waitFor(async () => (await metric(other, 'processor_partitions_assigned')) === 4, {
      timeoutMs: 120_000,
      what: 'every partition moved to the member that still reaches Kafka',
    });
    await exact();
    hung.proxies.kafka.resume();
    await send(100);
    await exact();
  });

  it('a zombie whose session expired while it wrote commits its batch; the new owner is fenced; exact', async () => {
    // The zombie's requests wait longer than its session lasts.
    const zombie = await startProxied({ KAFKA_SESSION_TIMEOUT_MS: '6000', PROCESSOR_SINK_TIMEOUT_MS: '120000' });
    await send(100);
    await exact();
    zombie.proxies.cassandra.hang();
    const consumed = await metric(zombie.processor, 'processor_messages_consumed_total');
    await send(200);
    // Cassandra is written while the batch's transaction holds the partition's offset row. (Held
    // bytes alone prove nothing: the driver's events and heartbeats wait in the proxy too.)
    await waitFor(
      async () =>
        (await metric(zombie.processor, 'processor_messages_consumed_total')) > consumed &&
        zombie.proxies.cassandra.heldBytes > 0,
      { what: 'the zombie in the middle of a batch' },
    );
    zombie.proxies.kafka.hang();
    const heir = await startDirect({ KAFKA_SESSION_TIMEOUT_MS: '6000' });
    await waitFor(async () => (await metric(heir, 'processor_partitions_assigned')) === 4, {
      timeoutMs: 120_000,
      what: "the zombie's partitions assigned to the new member",
    });
    expect(await metric(zombie.processor, 'processor_partitions_assigned')).toBe(4);
    // The heir must reach the zombie's partition before the zombie commits, or it simply starts
    // after the zombie's offsets and has nothing to fence: wait until it waits on the offset row.
    await waitFor(() => offsetRowLockWaits(env.pool, env.database), {
      timeoutMs: 120_000,
      what: "the heir waiting on the zombie's lock",
    });
    zombie.proxies.cassandra.resume();
    await exact();
    // The orders are exact once the zombie commits; the heir fences them when it gets the row after.
    await waitFor(async () => (await metric(heir, 'processor_messages_fenced_total')) > 0, {
      what: "the zombie's batch fenced by the heir",
    });
    zombie.proxies.kafka.resume();
    await send(100);
    await exact();
  });
});
