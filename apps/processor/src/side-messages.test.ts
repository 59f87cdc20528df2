import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodeOrder } from '@salespipeline/shared';
import { orderArbitrary } from '@salespipeline/shared/testing';
import { deadLetter, lateOrder, originId, sideTopicMessages } from './side-messages.js';

describe('side messages', () => {
  const origin = { topic: 'orders', partition: 3, offset: '42', resets: 0 };

  it('a dead letter keeps the message and says where it came from and why', () => {
    const m = deadLetter(
      origin,
      { key: Buffer.from('k'), value: Buffer.from('{'), timestamp: '1700000000000' },
      'unparsable',
      'not JSON',
    );
    expect(m.key).toEqual(Buffer.from('k'));
    expect(m.value).toEqual(Buffer.from('{'));
    expect(m.headers).toEqual({
      'origin-id': 'orders/3/42/0',
      'origin-topic': 'orders',
      'origin-partition': '3',
      'origin-offset': '42',
      'origin-timestamp': '1700000000000',
      'dlq-kind': 'unparsable',
      'dlq-reason': 'not JSON',
    });
  });

  it('is the same message every time the same origin is sent again', () => {
    const [order] = fc.sample(orderArbitrary(), 1);
    expect(lateOrder(origin, order!, 5000)).toEqual(lateOrder({ ...origin }, structuredClone(order!), 5000));
    expect(lateOrder(origin, order!, 5000).headers['origin-id']).toBe(originId(origin));
    expect(lateOrder(origin, order!, 5000).key).toBe(order!.order_id);
  });

  it('a chunk sends its dead letters and its late orders to their topics, and nothing when it has none', () => {
    const topics = { orders: 'orders', dlq: 'orders.dlq', late: 'orders.late' };
    const [order] = fc.sample(orderArbitrary(), 1);
    const message = { key: null, value: Buffer.from('{'), timestamp: '1', attributes: 0, offset: '7', headers: {} };
    const late = {
      order: order!,
      createdAt: Date.parse(order!.created_at),
      json: Buffer.from(encodeOrder(order!).value),
      acceptedAt: 2,
      partition: 3,
      offset: '8',
      lateByMs: 90_000,
      late: true,
    };
    const sent = sideTopicMessages(topics, 3, 1, [{ message, kind: 'unparsable', reason: 'not JSON' }], [late]);
    expect(sent).toEqual([
      {
        topic: 'orders.dlq',
        messages: [
          deadLetter({ topic: 'orders', partition: 3, offset: '7', resets: 1 }, message, 'unparsable', 'not JSON'),
        ],
      },
      {
        topic: 'orders.late',
        messages: [lateOrder({ topic: 'orders', partition: 3, offset: '8', resets: 1 }, order!, 90_000)],
      },
    ]);
    expect(sideTopicMessages(topics, 3, 1, [], [])).toEqual([]);
  });
});
