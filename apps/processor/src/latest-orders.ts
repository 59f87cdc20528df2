/**
 * The orders_by_hour rows of a batch, a pure step of the Cassandra sink: only the newest `kept`
 * orders of each hour, in the table's clustering order (created_at descending, then order_id).
 * An order among the newest `kept` of its hour overall is among the newest `kept` of its hour in
 * whichever batch carries it, so the table always holds every hour's true newest `kept` orders
 * however the orders are split into batches, and a read of `kept` or fewer rows is exact.
 */
import type { DatedOrder } from './aggregate.js';

export const HOUR_MS = 3600_000;

/** Hours since the epoch: a UTC hour starts at a multiple of HOUR_MS. */
export const hourIndex = (createdAt: number): number => Math.floor(createdAt / HOUR_MS);

/** Clustering order of orders_by_hour; ids are ASCII, so string order is Cassandra's byte order. */
export function newestFirst(a: DatedOrder, b: DatedOrder): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  const [x, y] = [a.order.order_id, b.order.order_id];
  return x < y ? -1 : x > y ? 1 : 0;
}

export function newestOfEachHour<T extends DatedOrder>(orders: readonly T[], kept: number): readonly T[] {
  if (orders.length <= kept) return orders;
  const hours = new Map<number, T[]>();
  for (const order of orders) {
    const index = hourIndex(order.createdAt);
    const hour = hours.get(index);
    if (hour) hour.push(order);
    else hours.set(index, [order]);
  }
  const newest: T[] = [];
  for (const hour of hours.values()) {
    if (hour.length > kept) {
      hour.sort(newestFirst);
      hour.length = kept;
    }
    for (const order of hour) newest.push(order);
  }
  return newest;
}
