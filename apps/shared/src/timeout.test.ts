import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { withTimeout } from './timeout.js';

describe('withTimeout', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes on a value or an error that comes in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 100, () => new Error('late'))).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('refused')), 100, () => new Error('late'))).rejects.toThrow(
      'refused',
    );
  });

  it('a rejection that is not an Error becomes one', async () => {
    await expect(withTimeout(Promise.reject('plain text'), 100, () => new Error('late'))).rejects.toThrow(
      new Error('plain text'),
    );
  });

  it('rejects with the timeout error when the promise has not settled in time, and ignores it afterwards', async () => {
    class Late extends Error {}
    let settle: (v: number) => void = () => undefined;
    const outcome = withTimeout(new Promise<number>((r) => (settle = r)), 100, () => new Late('no answer'));
    jest.advanceTimersByTime(100);
    settle(1);
    await expect(outcome).rejects.toBeInstanceOf(Late);
  });

  it('leaves no timer behind once the promise settled', async () => {
    await withTimeout(Promise.resolve(1), 60_000, () => new Error('late'));
    expect(jest.getTimerCount()).toBe(0);
  });
});
