import { describe, expect, it } from '@jest/globals';
import { availableCpus } from './cpus.js';

describe('availableCpus', () => {
  it('is the CPU limit rounded up, at most the CPUs there are', () => {
    expect(availableCpus('200000 100000\n', 8)).toBe(2);
    expect(availableCpus('150000 100000', 8)).toBe(2);
    expect(availableCpus('50000 100000', 8)).toBe(1);
    expect(availableCpus('1600000 100000', 4)).toBe(4);
  });
  it('is the CPUs there are without a limit (v2 "max", v1 -1, no cgroup)', () => {
    expect(availableCpus('max 100000', 6)).toBe(6);
    expect(availableCpus('-1 100000', 6)).toBe(6);
    expect(availableCpus(undefined, 3)).toBe(3);
  });
});
