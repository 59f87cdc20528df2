import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { OffsetHints, type OffsetHint } from './offset-hints.js';

describe('offset hints', () => {
  let commits: OffsetHint[][];
  let errors: unknown[];
  let fail: boolean;
  let hints: OffsetHints;

  beforeEach(() => {
    jest.useFakeTimers();
    commits = [];
    errors = [];
    fail = false;
    hints = new OffsetHints(
      async (h) => {
        if (fail) throw new Error('rebalancing');
        commits.push(h);
      },
      1000,
      (err) => errors.push(err),
    );
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("commits each partition's latest offset once per interval, all partitions in one request", async () => {
    hints.note(0, '10');
    hints.note(1, '5');
    hints.note(0, '12');
    expect(commits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(commits).toEqual([
      [
        { partition: 0, offset: '12' },
        { partition: 1, offset: '5' },
      ],
    ]);
    await jest.advanceTimersByTimeAsync(5000);
    expect(commits).toHaveLength(1);
    hints.note(1, '6');
    await jest.advanceTimersByTimeAsync(1000);
    expect(commits[1]).toEqual([{ partition: 1, offset: '6' }]);
  });

  it('commits at once when flushed, and drops the hints of partitions no longer assigned', async () => {
    hints.note(0, '10');
    hints.note(3, '7');
    hints.retain([3]);
    await hints.flush();
    expect(commits).toEqual([[{ partition: 3, offset: '7' }]]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(commits).toHaveLength(1);
  });

  it('reports a failed commit and goes on with the next hints', async () => {
    fail = true;
    hints.note(0, '10');
    await jest.advanceTimersByTimeAsync(1000);
    expect(errors).toHaveLength(1);
    fail = false;
    hints.note(0, '11');
    await jest.advanceTimersByTimeAsync(1000);
    expect(commits).toEqual([[{ partition: 0, offset: '11' }]]);
  });
});
