import { describe, expect, it } from '@jest/globals';
import { topicPlan, topicsOf } from './topics.js';

describe('the topic plan', () => {
  it('derives the dead-letter and late topics from the orders topic', () => {
    expect(topicsOf('orders')).toEqual({ orders: 'orders', dlq: 'orders.dlq', late: 'orders.late' });
  });

  it('gives the side topics a quarter of the partitions, at least one', () => {
    const partitions = (n: number) => topicPlan('orders', n).map((t) => [t.name, t.partitions]);
    expect(partitions(12)).toEqual([
      ['orders', 12],
      ['orders.dlq', 3],
      ['orders.late', 3],
    ]);
    expect(partitions(6)).toEqual([
      ['orders', 6],
      ['orders.dlq', 2],
      ['orders.late', 2],
    ]);
    expect(partitions(1)).toEqual([
      ['orders', 1],
      ['orders.dlq', 1],
      ['orders.late', 1],
    ]);
  });
});
