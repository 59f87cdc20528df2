import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { orderArbitrary } from '@salespipeline/shared/testing';
import { deadLetter, lateOrder, originId } from './side-messages.js';

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
});
