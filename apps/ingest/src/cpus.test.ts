import { describe, expect, it } from '@jest/globals';
import { autoWorkers } from './cpus.js';

describe('autoWorkers', () => {
  it('is the CPU limit rounded up, at most the CPUs there are', () => {
    expect(autoWorkers('200000 100000\n', 8)).toBe(2);
    expect(autoWorkers('150000 100000', 8)).toBe(2);
    expect(autoWorkers('50000 100000', 8)).toBe(1);
    expect(autoWorkers('1600000 100000', 4)).toBe(4);
  });
  it('leaves one of the CPUs there are to the rest of the machine without a limit (v2 "max", v1 -1, no cgroup)', () => {
    expect(autoWorkers('max 100000', 6)).toBe(5);
    expect(autoWorkers('-1 100000', 2)).toBe(1);
    expect(autoWorkers(undefined, 3)).toBe(2);
    expect(autoWorkers(undefined, 1)).toBe(1);
  });
});
