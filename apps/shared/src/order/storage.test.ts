import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

// A zone is fixed when a process starts, so each zone gets a process of its own.
const partitionsIn = (tz: string, instants: string[]): unknown => {
  const script = `import { hourPartitionOf } from './storage.ts';
    console.log(JSON.stringify(${JSON.stringify(instants)}.map((s) => hourPartitionOf(new Date(s)))));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: import.meta.dirname,
    env: { ...process.env, TZ: tz },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
};

describe('hourPartitionOf', () => {
  // Half-hour zones on both sides of UTC: near midnight the local date is not the UTC date.
  for (const tz of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
    it(`is the UTC date and hour with TZ=${tz}`, () => {
      expect(
        partitionsIn(tz, ['2026-03-01T23:40:00Z', '2026-03-02T00:10:00+05:30', '2026-03-01T22:00:00-03:30']),
      ).toEqual([
        { day: '2026-03-01', hour: 23 },
        { day: '2026-03-01', hour: 18 },
        { day: '2026-03-02', hour: 1 },
      ]);
    });
  }
});
