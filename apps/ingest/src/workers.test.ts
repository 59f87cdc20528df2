import { describe, expect, it } from '@jest/globals';
import { workerExecArgv } from './workers.js';

describe('workerExecArgv', () => {
  it("adds the young generation's size to the process's own flags", () => {
    expect(workerExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', '--max-semi-space-size=32']);
  });

  it('keeps a size given on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(workerExecArgv([], '--max-semi-space-size=64 --trace-gc')).toEqual([]);
  });
});
