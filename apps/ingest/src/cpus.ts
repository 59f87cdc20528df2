import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The cgroup's CPU quota as "quota period" (v2 cpu.max, or v1's two files), or undefined. */
function cgroupCpuMax(): string | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) return v2;
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  return quota && period ? `${quota.trim()} ${period.trim()}` : undefined;
}

/**
 * CPUs this process can use: a container's CPU limit (the cgroup quota, rounded up), at most the CPUs
 * it may run on. Without a quota ("max", or v1's -1): the CPUs it may run on.
 */
export function availableCpus(cpuMax = cgroupCpuMax(), cpus = availableParallelism()): number {
  const m = /^(\d+) (\d+)/.exec(cpuMax?.trim() ?? '');
  if (!m) return cpus;
  return Math.max(1, Math.min(cpus, Math.ceil(Number(m[1]) / Number(m[2]))));
}
