import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { keyPartition, keyPartitioner, murmur2 } from './key-partitioner.js';

const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: string,
) => number;
const metadata = (n: number) =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it('is the hash kafkajs (and the Java clients) compute, for any key (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 20_000 },
    );
  });

  it('matches the Java client for known keys', () => {
    // Values of org.apache.kafka.common.utils.Utils.murmur2 (its test suite's vectors).
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });

  it('hashes keys longer than its scratch buffer too', () => {
    const key = 'é'.repeat(300);
    expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });
});

describe('keyPartitioner', () => {
  it("chooses DefaultPartitioner's partition for every keyed record (property)", () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const args: PartitionerArgs = { topic: 't', partitionMetadata: metadata(n), message: { key, value: '' } };
        expect(ours(args)).toBe(theirs(args));
        expect(keyPartition(key, n)).toBe(theirs(args));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a record without a string key', () => {
    expect(() => keyPartitioner()({ topic: 't', partitionMetadata: metadata(3), message: { value: 'x' } })).toThrow(
      'every record needs a string key',
    );
  });
});
