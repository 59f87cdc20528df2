import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { encodeOrder, stampAccepted, type AcceptedOrder } from '@salespipeline/shared';
import { orderArbitrary } from '@salespipeline/shared/testing';
import { classifyOrders, sortMessages, type NewOrder } from './classify.js';

const AT = Date.parse('2026-03-01T12:00:00Z');
const LATE_BOUND_MS = 60_000;

const messageOf = (offset: number, value: string | null, timestamp = AT): KafkaMessage => ({
  key: null,
  value: value === null ? null : Buffer.from(value),
  timestamp: String(timestamp),
  attributes: 0,
  offset: String(offset),
  headers: {},
});
const orderMessage = (offset: number, order: AcceptedOrder, acceptedAt = AT): KafkaMessage => {
  const record = stampAccepted(encodeOrder(order), acceptedAt);
  return { ...messageOf(offset, record.value, acceptedAt), key: Buffer.from(record.key) };
};
const ordersOf = (n: number, prefix = 'o') =>
  fc.sample(orderArbitrary({ maxTime: AT - LATE_BOUND_MS, minTime: AT - LATE_BOUND_MS }), n).map((o, i) => ({
    ...o,
    order_id: `${prefix}${i}`,
  }));

describe('sortMessages', () => {
  it('decodes the orders, in offset order, each with its partition, offset and acceptance time', () => {
    const [a, b] = ordersOf(2);
    const messages = [orderMessage(10, a!), orderMessage(11, b!, AT + 5)];
    const sorted = sortMessages(messages, 3, new Map(), LATE_BOUND_MS);
    expect(sorted).toEqual({
      deadLetters: [],
      duplicates: 0,
      orders: [
        {
          order: a,
          createdAt: Date.parse(a!.created_at),
          json: messages[0]!.value,
          acceptedAt: AT,
          partition: 3,
          offset: '10',
          lateByMs: AT - Date.parse(a!.created_at),
          late: false,
        },
        {
          order: b,
          createdAt: Date.parse(b!.created_at),
          json: messages[1]!.value,
          acceptedAt: AT + 5,
          partition: 3,
          offset: '11',
          lateByMs: AT + 5 - Date.parse(b!.created_at),
          late: true, // created at the bound before AT
        },
      ],
    });
  });

  it('dead-letters what cannot be decoded, and what a sink refused even when it decodes', () => {
    const [a, b] = ordersOf(2);
    const messages = [
      messageOf(1, '{not json'),
      orderMessage(2, a!),
      messageOf(3, JSON.stringify({ ...b!, status: 'lost' })),
      messageOf(4, null),
    ];
    const sorted = sortMessages(messages, 0, new Map([['2', 'mysql rejected the message: too long']]), LATE_BOUND_MS);
    expect(sorted.orders).toEqual([]);
    expect(sorted.deadLetters.map((d) => [d.message.offset, d.kind])).toEqual([
      ['1', 'unparsable'],
      ['2', 'rejected'],
      ['3', 'invalid'],
      ['4', 'unparsable'],
    ]);
    expect(sorted.deadLetters[1]!.reason).toBe('mysql rejected the message: too long');
    expect(sorted.deadLetters[2]!.reason).toContain('/status');
    expect(sorted.deadLetters[2]!.message).toBe(messages[2]);
  });

  it('keeps the first copy of an order and counts the others as duplicates', () => {
    const [a, b] = ordersOf(2);
    const sorted = sortMessages(
      [orderMessage(5, a!), orderMessage(6, b!), orderMessage(7, a!, AT + 1), orderMessage(8, a!)],
      0,
      new Map(),
      LATE_BOUND_MS,
    );
    expect(sorted.orders.map((o) => [o.order.order_id, o.offset])).toEqual([
      ['o0', '5'],
      ['o1', '6'],
    ]);
    expect(sorted.duplicates).toBe(2);
  });

  it('an order accepted more than the bound after its creation is late; at the bound it is on time', () => {
    const [order] = ordersOf(1);
    const created = Date.parse(order!.created_at);
    const messages = [
      orderMessage(0, order!, created + LATE_BOUND_MS),
      orderMessage(1, { ...order!, order_id: 'late' }, created + LATE_BOUND_MS + 1),
    ];
    const { orders } = sortMessages(messages, 0, new Map(), LATE_BOUND_MS);
    expect(orders.map((o) => [o.lateByMs, o.late])).toEqual([
      [LATE_BOUND_MS, false],
      [LATE_BOUND_MS + 1, true],
    ]);
    const classified = classifyOrders(orders, new Set());
    expect(classified.onTime).toEqual([orders[0]]);
    expect(classified.late).toEqual([orders[1]]);
    expect(classified.counted).toEqual(orders);
  });
});

describe('classifyOrders', () => {
  const raw = (order: AcceptedOrder, acceptedAt: number, offset: number): NewOrder => {
    const createdAt = Date.parse(order.created_at);
    const lateByMs = acceptedAt - createdAt;
    const json = Buffer.from(encodeOrder(order).value);
    return {
      order,
      createdAt,
      json,
      acceptedAt,
      partition: 0,
      offset: String(offset),
      lateByMs,
      late: lateByMs > LATE_BOUND_MS,
    };
  };

  it('orders counted by an earlier batch are duplicates; the others are counted once, in order', () => {
    const orders = ordersOf(3).map((o, i) => raw(o, AT, i));
    const classified = classifyOrders(orders, new Set(['o1']));
    expect(classified.counted.map((o) => o.order.order_id)).toEqual(['o0', 'o2']);
    expect(classified.duplicates).toBe(1);
  });

  it("each counted order keeps its record's JSON bytes, which Cassandra stores as they are", () => {
    const [a, b] = ordersOf(2);
    const messages = [orderMessage(1, a!), orderMessage(2, b!)];
    const { orders } = sortMessages(messages, 0, new Map(), LATE_BOUND_MS);
    const classified = classifyOrders(orders, new Set());
    expect(classified.counted.map((o) => o.json)).toEqual([messages[0]!.value, messages[1]!.value]);
  });

  it('every order is counted, late or on time, or a duplicate: exactly one of them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ lateBy: fc.integer({ min: -1000, max: 3 * LATE_BOUND_MS }), seen: fc.boolean() }), {
          maxLength: 20,
        }),
        (specs) => {
          const [template] = ordersOf(1);
          const created = Date.parse(template!.created_at);
          const orders = specs.map((s, i) => raw({ ...template!, order_id: `o${i}` }, created + s.lateBy, i));
          const seen = new Set(specs.flatMap((s, i) => (s.seen ? [`o${i}`] : [])));
          const c = classifyOrders(orders, seen);
          expect(c.counted.length + c.duplicates).toBe(orders.length);
          expect(c.onTime.length + c.late.length).toBe(c.counted.length);
          expect(c.late.every((o) => o.lateByMs > LATE_BOUND_MS)).toBe(true);
          expect(c.counted.every((o) => !seen.has(o.order.order_id))).toBe(true);
        },
      ),
    );
  });
});
