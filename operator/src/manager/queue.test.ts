import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { WorkQueue } from './queue.js';

/** The key a pending get() has resolved with so far (undefined: still waiting). */
function watch(pending: Promise<string | undefined>) {
  const seen: { key?: string | undefined; done: boolean } = { done: false };
  void pending.then((key) => Object.assign(seen, { key, done: true }));
  return seen;
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('WorkQueue', () => {
  it('hands out a key added twice once', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('a');
    expect(await queue.get()).toBe('a');
    const next = watch(queue.get());
    await jest.advanceTimersByTimeAsync(1_000);
    expect(next.done).toBe(false);
    queue.add('b');
    await jest.advanceTimersByTimeAsync(0);
    expect(next.key).toBe('b');
  });

  it('a key re-added while in flight is not handed to a second worker, and comes back after done', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    const second = watch(queue.get());
    await jest.advanceTimersByTimeAsync(1_000);
    expect(second.done).toBe(false);
    queue.done('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(second.key).toBe('a');
  });

  it('a key done without a re-add is not queued again', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.done('a');
    const next = watch(queue.get());
    await jest.advanceTimersByTimeAsync(1_000);
    expect(next.done).toBe(false);
  });

  it('retries a failing key with exponential backoff, capped; forget starts it over', async () => {
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1_000 });
    const delays = [1, 2, 3, 4, 5, 6].map(() => queue.addRateLimited('a'));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    queue.forget('a');
    expect(queue.addRateLimited('b')).toBe(100);
    expect(queue.addRateLimited('a')).toBe(100);
  });

  it('a retried key comes back only after its delay', async () => {
    const queue = new WorkQueue({ baseDelayMs: 100 });
    queue.addRateLimited('a');
    const next = watch(queue.get());
    await jest.advanceTimersByTimeAsync(99);
    expect(next.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(next.key).toBe('a');
  });

  it('addAfter: the earlier of two pending delays wins', async () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 5_000);
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 3_000);
    const next = watch(queue.get());
    await jest.advanceTimersByTimeAsync(1_000);
    expect(next.key).toBe('a');
    queue.done('a');
    const again = watch(queue.get());
    await jest.advanceTimersByTimeAsync(10_000);
    expect(again.done).toBe(false);
  });

  it('hands out keys no faster than the token bucket: the burst at once, then qps', async () => {
    const queue = new WorkQueue({ qps: 2, burst: 2 });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    const third = watch(queue.get());
    await jest.advanceTimersByTimeAsync(499);
    expect(third.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(third.key).toBe('c');
    const fourth = watch(queue.get());
    await jest.advanceTimersByTimeAsync(499);
    expect(fourth.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(fourth.key).toBe('d');
  });

  it('shutdown releases waiting workers with undefined and drops pending delays', async () => {
    const queue = new WorkQueue();
    queue.addAfter('late', 1_000);
    const waiting = watch(queue.get());
    queue.shutdown();
    await jest.advanceTimersByTimeAsync(0);
    expect(waiting).toEqual({ key: undefined, done: true });
    queue.add('a');
    await jest.advanceTimersByTimeAsync(2_000);
    expect(await queue.get()).toBeUndefined();
  });

  it('reports adds, retries and depth to its hooks', async () => {
    const hooks = { adds: 0, retries: 0, depth: [] as number[] };
    const queue = new WorkQueue(
      {},
      { onAdd: () => hooks.adds++, onRetry: () => hooks.retries++, onDepth: (d) => hooks.depth.push(d) },
    );
    queue.add('a');
    queue.add('b');
    queue.addRateLimited('c');
    expect(hooks).toMatchObject({ adds: 2, retries: 1 });
    expect(hooks.depth.at(-1)).toBe(2);
    await queue.get();
    expect(hooks.depth.at(-1)).toBe(1);
  });
});
