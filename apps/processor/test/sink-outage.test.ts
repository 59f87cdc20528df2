import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AcceptedOrder } from '@salespipeline/shared';
import { TcpProxy, testInfra, waitFor } from '@salespipeline/shared/testing';
import { startProcessor, type RunningProcessor } from '../src/processor.js';
import {
  countProcessed,
  createTestEnv,
  expectedAggregates,
  hostPort,
  metricValue,
  normalise,
  produceOrders,
  readAggregates,
  readRawOrders,
  mapDiff,
  type TestEnv,
  recentOrders,
} from './helpers.js';

jest.setTimeout(360_000);

// Cassandra and MariaDB are shared by parallel test files, so the outage is a cut network: each
// sink is reached through a TCP proxy that the test closes (dropping every connection) and reopens.
describe('processor: a sink goes down, nothing is lost or double counted', () => {
  const infra = testInfra();
  let env: TestEnv;
  let processor: RunningProcessor;
  const cassandraProxy = new TcpProxy(...hostPort(infra.cassandraContactPoints[0]!));
  const mysqlProxy = new TcpProxy(...hostPort(new URL(infra.mysqlUrl).host));
  const produced: AcceptedOrder[] = [];
  let round = 0;

  const send = async (count: number) => {
    const orders = recentOrders(`outage-${round++}`, count);
    produced.push(...orders, ...orders.slice(0, 5));
    await produceOrders(env.kafka, env.topic, [...orders, ...orders.slice(0, 5)]);
  };
  const distinct = () => new Set(produced.map((o) => o.order_id)).size;
  const metric = (name: string) => metricValue(processor.opsUrl, name);
  const readyStatus = async () => (await fetch(`${processor.opsUrl}/readyz`)).status;

  beforeAll(async () => {
    env = await createTestEnv('outage', 2);
    await cassandraProxy.start();
    await mysqlProxy.start();
    const url = new URL(env.env.MYSQL_URL!);
    url.host = `127.0.0.1:${mysqlProxy.port}`;
    processor = await startProcessor(
      env.config({
        CASSANDRA_CONTACT_POINTS: `127.0.0.1:${cassandraProxy.port}`,
        MYSQL_URL: url.toString(),
        PROCESSOR_RETRY_MAX_MS: '1000',
      }),
    );
  });
  afterAll(async () => {
    await cassandraProxy.restore().catch(() => undefined);
    await mysqlProxy.restore().catch(() => undefined);
    await processor?.stop();
    await cassandraProxy.cut();
    await mysqlProxy.cut();
    await env?.cleanup();
  });

  const exact = async () => {
    // After a restore the Cassandra driver reconnects with an exponential backoff (1 s, 2 s, 4 s, …):
    // up to about as long again as the outage lasted.
    await waitFor(async () => (await countProcessed(env.pool)) === distinct(), {
      timeoutMs: 120_000,
      what: 'every order processed',
    });
    expect(mapDiff(await readAggregates(env.pool), expectedAggregates(produced))).toEqual([]);
    const firsts = new Map<string, AcceptedOrder>();
    for (const o of produced) if (!firsts.has(o.order_id)) firsts.set(o.order_id, normalise(o));
    expect(mapDiff(await readRawOrders(env.cassandra, env.keyspace), firsts)).toEqual([]);
  };

  for (const sink of ['cassandra', 'mysql'] as const) {
    it(`pauses while ${sink} is unreachable, then resumes and stays exact`, async () => {
      const proxy = sink === 'cassandra' ? cassandraProxy : mysqlProxy;
      await send(200);
      await exact();
      const before = await countProcessed(env.pool);
      const errorsBefore = (await metric('processor_sink_errors_total')) || 0;
      await proxy.cut();
      await send(300);
      await waitFor(async () => (await metric('processor_partitions_paused')) > 0, { what: 'a paused partition' });
      expect(await readyStatus()).toBe(503);
      await sleep(2000);
      expect(await countProcessed(env.pool)).toBe(before);
      expect(await metric('processor_sink_errors_total')).toBeGreaterThan(errorsBefore);
      await proxy.restore();
      await exact();
      await waitFor(async () => (await metric('processor_partitions_paused')) === 0, { what: 'partitions resumed' });
      await waitFor(async () => (await readyStatus()) === 200, { what: 'ready again' });
    });
  }
});
