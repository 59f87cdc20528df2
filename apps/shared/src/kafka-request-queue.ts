/**
 * kafkajs 2.2.4's request queue re-arms a timer after every check of its pending requests, also
 * when none is pending and nothing throttles it: its delay is then negative, so each broker
 * connection of every client runs a 1 ms timer loop for its whole life (kafkajs issues 1556, 1704,
 * unfixed upstream). On the 2-core box that cost an idle ingest with two workers ~5 % of a core and
 * every low-rate request its share. The patch keeps the timer where it is needed: requests pending
 * (the in-flight limit or a throttle holds them) or a throttle in effect. A request pushed later, a
 * response or a timeout checks the queue anyway.
 */
import { createRequire } from 'node:module';

interface RequestQueueState {
  pending: readonly unknown[];
  throttledUntil: number;
}

/** Whether the queue needs a timer to look at its pending requests again. */
export const needsPendingCheck = (queue: RequestQueueState, now: number): boolean =>
  queue.pending.length > 0 || queue.throttledUntil > now;

const patched = Symbol('salespipeline:scheduleCheckPendingRequests');
interface RequestQueuePrototype {
  scheduleCheckPendingRequests: (this: RequestQueueState) => void;
  [patched]?: true;
}

/** Installs the patch in kafkajs' RequestQueue (once per process; later calls do nothing). */
export function patchKafkaRequestQueue(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueuePrototype };
  const proto = RequestQueue.prototype;
  if (proto[patched]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueState) {
    if (needsPendingCheck(this, Date.now())) schedule.call(this);
  };
  proto[patched] = true;
}
