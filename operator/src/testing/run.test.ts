import { describe, expect, it } from '@jest/globals';
import { ok, run } from './index.js';

describe('run', () => {
  it('captures the output and the exit code', async () => {
    expect(await run('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('gives the input to the command', async () => {
    expect(await ok('cat', [], { input: 'an input' })).toBe('an input');
  });

  it('gives a command without input a closed stdin', async () => {
    expect(await ok('cat', [])).toBe('');
  });

  it('answers with the exit code when the command exits without reading its input', async () => {
    // More than a pipe holds, so the write meets a closed pipe (EPIPE).
    expect(await run('sh', ['-c', 'exit 4'], { input: 'x'.repeat(4 << 20) })).toMatchObject({ code: 4 });
    expect(await ok('true', [], { input: 'x'.repeat(4 << 20) })).toBe('');
  });
});
