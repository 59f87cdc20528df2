/**
 * The autoscaling decision, pure (no I/O, no clock: `now` is an input): from the consumer lag per
 * partition and what was seen before, the processor replicas to run and why.
 *
 *   recommended = clamp(ceil(chased lag / lagThreshold), minReplicas, min(maxReplicas, partitions))
 *
 * - up at once;
 * - down only when every recommendation of the stabilization window is below the current count
 *   (and the window has been observed in full), by at most `step` replicas per `periodSeconds`;
 * - outside the bounds (the spec changed, a hand edit): back within them at once;
 * - a partition with lag whose committed offset has not moved for `stuckAfterPolls` polls while the
 *   group progresses elsewhere is stuck (a poison message, a wedged consumer): reported, and its lag
 *   is not chased (more replicas would not move it). When nothing moves anywhere (no consumer yet,
 *   all down) no partition is called stuck: the lag counts.
 */

export interface PartitionLag {
  partition: number;
  /** The log end offset (next offset to be written). */
  end: number;
  /** The group's committed offset (next offset to read); -1 when the group has none. */
  committed: number;
  lag: number;
}

export interface DecisionSpec {
  minReplicas: number;
  maxReplicas: number;
  lagThreshold: number;
  stabilizationSeconds: number;
  step: number;
  periodSeconds: number;
  stuckAfterPolls: number;
}

export interface History {
  /** When observation started (the window must be covered before a scale-down). */
  since?: number;
  /** Per partition: the committed offset last seen and for how many polls it has not moved while lagging. */
  partitions: Record<number, { committed: number; stalledPolls: number }>;
  /** Polls since any partition's committed offset moved. */
  pollsSinceGroupProgress: number;
  /** Recommendations within the stabilization window, oldest first. */
  recommendations: Array<{ time: number; replicas: number }>;
  lastScaleDown?: number;
}

export const emptyHistory = (): History => ({ partitions: {}, pollsSinceGroupProgress: 0, recommendations: [] });

export type Direction = 'up' | 'down' | 'none';

export interface DecisionInput {
  lagPerPartition: PartitionLag[];
  /** Partitions of the topic (the consumer cap). */
  partitions: number;
  /** Replicas now (the last decision, else the Deployment's). */
  current: number;
  spec: DecisionSpec;
  history: History;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface Decision {
  desired: number;
  recommended: number;
  direction: Direction;
  /** CamelCase reason, for events and status. */
  reason: string;
  message: string;
  stuck: number[];
  totalLag: number;
  chasedLag: number;
  maxLag: number;
  laggingPartitions: number;
  history: History;
}

/** The replica bounds: [minReplicas, min(maxReplicas, partitions)] (minReplicas wins a conflict). */
export function bounds(spec: DecisionSpec, partitions: number): { lo: number; hi: number } {
  const lo = Math.max(0, spec.minReplicas);
  return { lo, hi: Math.max(lo, Math.min(spec.maxReplicas, Math.max(1, partitions))) };
}

/** Progress per partition and of the group, and the stuck partitions: lag but no progress while the group progresses. */
function progressOf(input: DecisionInput) {
  const { lagPerPartition, spec } = input;
  const previous = input.history.partitions;
  const partitions: History['partitions'] = {};
  let groupMoved = false;
  for (const p of lagPerPartition) {
    const before = previous[p.partition];
    const moved = before !== undefined && before.committed !== p.committed;
    if (moved) groupMoved = true;
    const stalled = before !== undefined && !moved && p.lag > 0 ? before.stalledPolls + 1 : 0;
    partitions[p.partition] = { committed: p.committed, stalledPolls: stalled };
  }
  const pollsSinceGroupProgress = groupMoved ? 0 : input.history.pollsSinceGroupProgress + 1;
  const groupAlive = groupMoved || input.history.pollsSinceGroupProgress < spec.stuckAfterPolls;
  const stuck = lagPerPartition
    .filter((p) => groupAlive && p.lag > 0 && partitions[p.partition]!.stalledPolls >= spec.stuckAfterPolls)
    .map((p) => p.partition)
    .sort((a, b) => a - b);
  return { partitions, pollsSinceGroupProgress, stuck };
}

type Outcome = (desired: number, direction: Direction, reason: string, message: string) => Decision;

/** Fewer replicas would do: hold them through the stabilization window and the step period, then step down. */
function stepDown(
  input: DecisionInput,
  facts: { recommended: number; history: History; lagText: string },
  result: Outcome,
): Decision {
  const { current, spec, now } = input;
  const { recommended, history, lagText } = facts;
  const windowMs = spec.stabilizationSeconds * 1000;
  const since = history.since ?? now;
  const covered = now - since >= windowMs;
  const ceiling = Math.max(...history.recommendations.map((r) => r.replicas));
  if (!covered || ceiling >= current) {
    const holdingSince = Math.max(...history.recommendations.filter((r) => r.replicas >= current).map((r) => r.time));
    const waitMs = covered ? Math.max(0, holdingSince + windowMs - now) : since + windowMs - now;
    return result(
      current,
      'none',
      'ScaleDownStabilizing',
      `${lagText}: ${recommended} replicas would do; holding ${current} for ${Math.ceil(waitMs / 1000)} s more`,
    );
  }
  const last = input.history.lastScaleDown;
  if (last !== undefined && now - last < spec.periodSeconds * 1000) {
    return result(
      current,
      'none',
      'ScaleDownRateLimited',
      `${lagText}: next step down in ${Math.ceil((last + spec.periodSeconds * 1000 - now) / 1000)} s`,
    );
  }
  const desired = Math.max(ceiling, current - spec.step);
  return result(
    desired,
    'down',
    'LagBelowThreshold',
    `${lagText} / threshold ${spec.lagThreshold} → ${recommended} replicas for ${spec.stabilizationSeconds} s; ${current} → ${desired}`,
  );
}

export function decideReplicas(input: DecisionInput): Decision {
  const { lagPerPartition, partitions, current, spec, now } = input;
  const windowMs = spec.stabilizationSeconds * 1000;
  const progress = progressOf(input);
  const { stuck } = progress;

  const totalLag = lagPerPartition.reduce((s, p) => s + p.lag, 0);
  const chasedLag = lagPerPartition.filter((p) => !stuck.includes(p.partition)).reduce((s, p) => s + p.lag, 0);
  const maxLag = lagPerPartition.reduce((m, p) => Math.max(m, p.lag), 0);
  const laggingPartitions = lagPerPartition.filter((p) => p.lag > 0).length;

  const { lo, hi } = bounds(spec, partitions);
  const raw = Math.ceil(chasedLag / spec.lagThreshold);
  const recommended = Math.min(hi, Math.max(lo, raw));

  const history: History = {
    since: input.history.since ?? now,
    partitions: progress.partitions,
    pollsSinceGroupProgress: progress.pollsSinceGroupProgress,
    recommendations: [
      ...input.history.recommendations.filter((r) => r.time > now - windowMs && r.time <= now),
      { time: now, replicas: recommended },
    ],
    ...(input.history.lastScaleDown === undefined ? {} : { lastScaleDown: input.history.lastScaleDown }),
  };
  const facts = { recommended, stuck, totalLag, chasedLag, maxLag, laggingPartitions };
  const lagText = `lag ${chasedLag}${stuck.length ? ` (+${totalLag - chasedLag} on stuck partitions ${stuck.join(',')})` : ''}`;
  const result: Outcome = (desired, direction, reason, message) => ({
    desired,
    direction,
    reason,
    message,
    ...facts,
    history: direction === 'down' ? { ...history, lastScaleDown: now } : history,
  });

  if (current > hi)
    return result(hi, 'down', 'AboveMaximum', `${current} replicas above the maximum ${hi} (maxReplicas/partitions)`);
  if (current < lo) return result(lo, 'up', 'BelowMinimum', `${current} replicas below minReplicas ${lo}`);
  if (recommended > current)
    return result(
      recommended,
      'up',
      'LagAboveThreshold',
      `${lagText} / threshold ${spec.lagThreshold} → ${recommended} replicas (cap ${hi})`,
    );
  if (recommended === current) return result(current, 'none', 'Steady', `${lagText}: ${current} replicas fit`);
  return stepDown(input, { recommended, history, lagText }, result);
}

/** "partition=lag" pairs, largest lag first, within maxLength characters. */
export function lagSummary(lagPerPartition: PartitionLag[], maxLength = 1024): string {
  const sorted = [...lagPerPartition].sort((a, b) => b.lag - a.lag || a.partition - b.partition);
  let out = '';
  for (const [i, p] of sorted.entries()) {
    const item = `${out ? ' ' : ''}${p.partition}=${p.lag}`;
    const rest = ` …+${sorted.length - i}`;
    if (out.length + item.length + (i < sorted.length - 1 ? rest.length : 0) > maxLength) return out + rest;
    out += item;
  }
  return out;
}
