import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { needsPendingCheck, patchKafkaRequestQueue } from './kafka-request-queue.js';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: object,
) => Queue;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
  });

describe('needsPendingCheck', () => {
  it('is true with requests pending or a throttle in effect, false otherwise', () => {
    expect(needsPendingCheck({ pending: [], throttledUntil: -1 }, 1000)).toBe(false);
    expect(needsPendingCheck({ pending: [], throttledUntil: 999 }, 1000)).toBe(false);
    expect(needsPendingCheck({ pending: [{}], throttledUntil: -1 }, 1000)).toBe(true);
    expect(needsPendingCheck({ pending: [], throttledUntil: 1001 }, 1000)).toBe(true);
  });
});

describe('patchKafkaRequestQueue', () => {
  it('leaves an idle queue without a timer, and keeps it for a throttled one', () => {
    patchKafkaRequestQueue();
    patchKafkaRequestQueue();
    const idle = queue();
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();

    const throttled = queue();
    throttled.maybeThrottle(50);
    throttled.checkPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    throttled.destroy();
  });
});
