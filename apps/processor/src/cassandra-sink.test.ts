import { describe, expect, it } from '@jest/globals';
import type cassandra from 'cassandra-driver';
import { encodeOrder, LIMITS, type AcceptedOrder } from '@salespipeline/shared';
import { largestOrder } from '@salespipeline/shared/testing';
import { datedOrder } from './aggregate.js';
import { groupRequests } from './cassandra-requests.js';
import { byHourRow, byIdParams, CassandraSink, ID_BATCH_BYTES, idRowBytes } from './cassandra-sink.js';
import { cqlBigint, cqlDecimal, cqlTimestamp } from './cql-values.js';

describe('the rows of an order', () => {
  const order = largestOrder('rows-1', '2026-03-01T23:40:00+05:30');
  const json = Buffer.from(encodeOrder(order).value);

  it('orders_by_id: the id, the JSON bytes as given, the Kafka provenance', () => {
    const raw = {
      order,
      createdAt: Date.parse(order.created_at),
      json,
      acceptedAt: 1_700_000_000_000,
      partition: 3,
      offset: '9007199254740993',
    };
    const params = byIdParams(raw);
    expect(params).toEqual(['rows-1', json, cqlTimestamp(1_700_000_000_000), 3, cqlBigint('9007199254740993')]);
    expect((params as unknown[])[1]).toBe(json);
    expect(idRowBytes(raw)).toBeGreaterThan(json.length);
  });

  it('the largest valid order is more than a batch holds: it is written alone', () => {
    const raw = { order, createdAt: Date.parse(order.created_at), json, acceptedAt: 0, partition: 0, offset: '0' };
    expect(idRowBytes(raw)).toBeGreaterThan(ID_BATCH_BYTES);
    expect(groupRequests([raw, raw], { maxRows: 20, maxBytes: ID_BATCH_BYTES }, () => '', idRowBytes)).toEqual([
      [raw],
      [raw],
    ]);
  });

  it('orders_by_hour: keyed by its UTC day and hour, with what the dashboard shows', () => {
    const row = byHourRow(datedOrder(order));
    expect(row.key).toBe('2026-03-01/18');
    const [day, hour, createdAt, orderId, status, , , currency, total, itemCount] = row.params as unknown[];
    expect({ day: String(day), hour, createdAt, orderId, status, currency, total, itemCount }).toEqual({
      day: '2026-03-01',
      hour: 18,
      createdAt: cqlTimestamp(Date.parse('2026-03-01T18:10:00Z')),
      orderId: 'rows-1',
      status: 'complete',
      currency: 'USD',
      total: cqlDecimal(LIMITS.maxItems * LIMITS.maxQty * LIMITS.maxPrice),
      itemCount: LIMITS.maxItems * LIMITS.maxQty,
    });
  });

  it('orders_by_hour: orders on either side of an hour boundary, in any order, each in its own UTC hour', () => {
    const at = (createdAt: string) => {
      const [day, hour] = byHourRow(datedOrder({ ...order, created_at: createdAt })).params as unknown[];
      return `${String(day)}/${String(hour)}`;
    };
    const times = ['2026-03-01T23:59:59.999Z', '2026-03-02T00:00:00.000Z', '2026-03-02T05:29:59+05:30'];
    expect([...times, ...times.reverse(), '1969-12-31T23:30:00Z'].map(at)).toEqual([
      '2026-03-01/23',
      '2026-03-02/0',
      '2026-03-01/23',
      '2026-03-01/23',
      '2026-03-02/0',
      '2026-03-01/23',
      '1969-12-31/23',
    ]);
  });
});

describe('CassandraSink requests', () => {
  /** A client of a cluster of 3 hosts in which an order's replicas are host a or host b, by its id's parity. */
  function fakeCluster() {
    const [a, b] = [[{ address: 'a' }], [{ address: 'b' }]];
    const sent: Array<{ table: string; ids: string[] }> = [];
    const table = (query: string) => /INSERT INTO \w+\.(\w+)/.exec(query)![1]!;
    const client = {
      hosts: { length: 3 },
      getReplicas: (_keyspace: string, key: Buffer) => (Number(key.toString().slice(-1)) % 2 ? a : b),
      execute: async (query: string, params: unknown[]) => {
        sent.push({ table: table(query), ids: [String(params[table(query) === 'orders_by_id' ? 0 : 3])] });
      },
      batch: async (queries: Array<{ query: string; params: unknown[] }>) => {
        const t = table(queries[0]!.query);
        sent.push({ table: t, ids: queries.map((q) => String(q.params[t === 'orders_by_id' ? 0 : 3])) });
      },
    };
    return { client: client as unknown as cassandra.Client, sent };
  }
  const raw = (order: AcceptedOrder) => ({
    ...datedOrder(order),
    json: Buffer.from(encodeOrder(order).value),
    acceptedAt: 0,
    partition: 0,
    offset: '0',
  });
  const small = (i: number) => ({ ...largestOrder(`o${i}`, '2026-03-01T12:00:00Z'), items: [] }) as AcceptedOrder;

  it('batches orders_by_id rows only with rows of the same replicas, a too large order alone, each row once', async () => {
    const { client, sent } = fakeCluster();
    const orders = [...Array.from({ length: 7 }, (_, i) => small(i)), largestOrder('o8', '2026-03-01T12:00:00Z')];
    await new CassandraSink(client, 'ks', { concurrency: 2, hourBatchRows: 50, idBatchRows: 3 }).write(orders.map(raw));
    const byId = sent.filter((r) => r.table === 'orders_by_id').map((r) => r.ids);
    expect(byId.flat().sort()).toEqual(orders.map((o) => o.order_id).sort());
    expect(byId.sort()).toEqual([['o0', 'o2', 'o4'], ['o1', 'o3', 'o5'], ['o6'], ['o8']].sort());
    expect(sent.filter((r) => r.table === 'orders_by_hour').map((r) => r.ids)).toEqual([orders.map((o) => o.order_id)]);
  });
});
