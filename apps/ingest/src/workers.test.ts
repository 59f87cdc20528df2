import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { connectedOrAfter, workerExecArgv } from './workers.js';

describe('workerExecArgv', () => {
  it("adds the young generation's size to the process's own flags", () => {
    expect(workerExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', '--max-semi-space-size=32']);
  });

  it('keeps a size given on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(workerExecArgv([], '--max-semi-space-size=64 --trace-gc')).toEqual([]);
  });
});

describe('connectedOrAfter', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  const watch = (connected: Promise<unknown>) => {
    let done = false;
    const waiting = connectedOrAfter(connected, 10_000).then(() => (done = true));
    return { waiting, done: () => done };
  };

  it('resolves once connected, and leaves no timer', async () => {
    jest.useFakeTimers();
    let connect = () => {};
    const wait = watch(new Promise<void>((resolve) => (connect = resolve)));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(wait.done()).toBe(false);
    connect();
    await wait.waiting;
    expect(jest.getTimerCount()).toBe(0);
  });

  it('resolves after the time limit while not connected', async () => {
    jest.useFakeTimers();
    const wait = watch(new Promise(() => {}));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(wait.done()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(wait.done()).toBe(true);
  });
});
