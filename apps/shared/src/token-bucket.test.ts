import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full: a burst goes through at once, then it says how long until the next token', () => {
    const bucket = new TokenBucket(10, 3);
    expect([0, 1, 2].map(() => bucket.take(1_000))).toEqual([0, 0, 0]);
    expect(bucket.take(1_000)).toBeCloseTo(0.1);
  });

  it('refills at the rate, never above the burst', () => {
    const bucket = new TokenBucket(10, 3);
    for (let i = 0; i < 3; i++) bucket.take(0);
    expect(bucket.take(100)).toBe(0); // 100 ms = one token at 10/s
    expect(bucket.take(100)).toBeGreaterThan(0);
    expect([0, 1, 2, 3].map(() => bucket.take(60_000))).toEqual([0, 0, 0, expect.any(Number)]);
  });

  it('a refused take costs nothing: the wait it names is enough', () => {
    const bucket = new TokenBucket(4, 1);
    expect(bucket.take(0)).toBe(0);
    const waitSeconds = bucket.take(0);
    expect(waitSeconds).toBeCloseTo(0.25);
    expect(bucket.take(0)).toBeCloseTo(0.25);
    expect(bucket.take(waitSeconds * 1000)).toBe(0);
  });

  it('a clock that steps back adds no tokens', () => {
    const bucket = new TokenBucket(1, 1);
    expect(bucket.take(10_000)).toBe(0);
    expect(bucket.take(5_000)).toBeGreaterThan(0);
  });

  it('rejects a rate or burst that could never hand out a token', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/rate must be > 0/);
    expect(() => new TokenBucket(1, 0)).toThrow(/burst ≥ 1/);
  });
});
