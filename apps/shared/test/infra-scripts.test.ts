import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

const repo = new URL('../../../', import.meta.url).pathname;

describe('scripts/infra/kafka.sh', () => {
  it('draws cluster ids the storage tool accepts: 22 URL-safe base64 characters, never a leading "-"', () => {
    // About 1 in 64 random ids starts with '-', which `kafka-storage format -t` reads as an option.
    const ids = execFileSync(
      'bash',
      ['-c', `source scripts/infra/kafka.sh && for i in $(seq 2000); do kafka_new_cluster_id; done`],
      { cwd: repo, encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(ids).toHaveLength(2000);
    expect(ids.filter((id) => !/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(2000);
  });
});
