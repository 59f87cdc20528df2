/**
 * How long processed_orders must remember an order id. The offset fence already skips re-reads of
 * the same message; the dedupe set exists for the same order sent again (a client retry) as a new
 * message. Such a copy is aggregated only if it was accepted within LATE_BOUND_MS of the order's
 * event time (later it is "late": raw only), and it is processed while it is still in Kafka, which
 * keeps a message for at most retention.ms + segment.ms (a segment is deleted once its newest
 * message is older than retention.ms, and the active segment rolls after segment.ms). The first
 * copy was processed no earlier than its event time minus the 5-minute future bound, so an id kept
 * for lateBound + futureBound + retention.ms + segment.ms (+ margin) outlives every copy that could
 * still be counted.
 */

/** For the broker's retention check interval (5 min by default) and clock skew between hosts. */
export const RETENTION_MARGIN_MS = 3600_000;

export interface TopicRetention {
  /** retention.ms of the orders topic; -1: kept forever. */
  retentionMs: number;
  segmentMs: number;
}

/** The re-delivery window in ms, or undefined when the topic keeps messages forever. */
export function redeliveryWindowMs(
  topic: TopicRetention,
  bounds: { lateBoundMs: number; maxFutureMs: number },
): number | undefined {
  if (topic.retentionMs < 0) return undefined;
  return topic.retentionMs + topic.segmentMs + bounds.lateBoundMs + bounds.maxFutureMs + RETENTION_MARGIN_MS;
}

export type RetentionPlan = { prune: false } | { prune: true; retentionMs: number };

/**
 * The retention to prune with: `configured` (0 derives it, -1 keeps ids forever) checked against
 * the window; throws when pruning at that age could let a copy be counted twice.
 */
export function retentionPlan(configured: number, windowMs: number | undefined): RetentionPlan {
  if (configured === -1) return { prune: false };
  if (windowMs === undefined) {
    if (configured === 0) return { prune: false };
    throw new Error(
      `PROCESSED_ORDERS_RETENTION_MS=${configured} but the orders topic keeps messages forever (retention.ms=-1): ` +
        'a re-sent order could be counted twice; use -1 (keep ids forever) or give the topic a retention',
    );
  }
  if (configured === 0) return { prune: true, retentionMs: windowMs };
  if (configured < windowMs) {
    throw new Error(
      `PROCESSED_ORDERS_RETENTION_MS=${configured} is shorter than the re-delivery window of ${windowMs} ms ` +
        '(topic retention.ms + segment.ms + LATE_BOUND_MS + 5 min + 1 h): a re-sent order could be counted twice',
    );
  }
  return { prune: true, retentionMs: configured };
}
