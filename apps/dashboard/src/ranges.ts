/**
 * The time windows of the dashboard. Aggregates are per UTC minute, so every window is a whole
 * number of minutes ending with the still-open minute (the one `now` falls in).
 */

export const RANGES = ['15m', '1h', '24h', 'all'] as const;
export type RangeName = (typeof RANGES)[number];

const MINUTE = 60_000;
const lengths: Record<Exclude<RangeName, 'all'>, number> = {
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '24h': 1440 * MINUTE,
};

export interface Window {
  range: RangeName;
  /** Inclusive start; the epoch for `all`. */
  from: Date;
  /** Exclusive end: the end of the open minute (`all`: no end). */
  to: Date;
  /** The previous period of the same length, [prevFrom, from); absent for `all`. */
  prevFrom?: Date;
  /** Start of the minute `now` falls in: its figures are still growing. */
  openMinute: Date;
}

/** The far end of `all`: DATETIME's maximum. */
export const END_OF_TIME = new Date(Date.UTC(9999, 11, 31, 23, 59, 0));

export const isRange = (value: unknown): value is RangeName =>
  typeof value === 'string' && (RANGES as readonly string[]).includes(value);

export function windowOf(range: RangeName, now: number): Window {
  const openMinute = Math.floor(now / MINUTE) * MINUTE;
  if (range === 'all') return { range, from: new Date(0), to: END_OF_TIME, openMinute: new Date(openMinute) };
  const to = openMinute + MINUTE;
  const from = to - lengths[range];
  return {
    range,
    from: new Date(from),
    to: new Date(to),
    prevFrom: new Date(from - lengths[range]),
    openMinute: new Date(openMinute),
  };
}

const NICE_BUCKETS = [60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400];

/**
 * Seconds per time-series point: a minute for the fixed ranges, and for `all` the smallest nice
 * bucket that keeps the series at most `maxPoints` long.
 */
export function bucketSeconds(range: RangeName, firstMinute: Date | undefined, now: number, maxPoints = 1440): number {
  if (range !== 'all' || !firstMinute) return 60;
  const span = Math.max(60, (now - firstMinute.getTime()) / 1000 + 60);
  return NICE_BUCKETS.find((b) => span / b <= maxPoints) ?? NICE_BUCKETS[NICE_BUCKETS.length - 1]!;
}
