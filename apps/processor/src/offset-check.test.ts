import { describe, expect, it } from '@jest/globals';
import { checkPosition, fingerprintOf } from './offset-check.js';

const message = (n: number) => ({
  timestamp: String(1_700_000_000_000 + n),
  key: Buffer.from(`k${n}`),
  value: Buffer.from(`v${n}`),
});
const fp = (n: number) => fingerprintOf(message(n));

describe('checkPosition', () => {
  const stored = { nextOffset: 100n, fingerprint: fp(99) };

  it('accepts the same partition: the probe message matches, or the batch starts at the stored offset', () => {
    expect(checkPosition(stored, { firstOffset: 99n, highWatermark: 150n, fingerprintAt: () => fp(99) })).toEqual({
      kind: 'ok',
    });
    expect(checkPosition(stored, { firstOffset: 100n, highWatermark: 150n, fingerprintAt: () => undefined })).toEqual({
      kind: 'ok',
    });
    expect(checkPosition(stored, { firstOffset: 20n, highWatermark: 150n, fingerprintAt: () => undefined })).toEqual({
      kind: 'ok',
    });
  });

  it('a log that ends below the stored offset is a new topic', () => {
    expect(checkPosition(stored, { firstOffset: 0n, highWatermark: 10n, fingerprintAt: () => undefined })).toEqual({
      kind: 'reset',
      reason: 'the log ends at 10, below the stored next offset 100',
    });
  });

  it('another message where the last applied one was is a new topic', () => {
    expect(checkPosition(stored, { firstOffset: 99n, highWatermark: 500n, fingerprintAt: () => fp(7) })).toMatchObject({
      kind: 'reset',
    });
  });

  it('a first offset above the stored one is a gap of that many messages', () => {
    expect(checkPosition(stored, { firstOffset: 130n, highWatermark: 500n, fingerprintAt: () => undefined })).toEqual({
      kind: 'gap',
      missed: 30n,
    });
    expect(
      checkPosition(
        { nextOffset: 0n, fingerprint: null },
        { firstOffset: 5n, highWatermark: 9n, fingerprintAt: () => undefined },
      ),
    ).toEqual({ kind: 'gap', missed: 5n });
  });

  it('fingerprints differ by timestamp, key and value', () => {
    const base = message(1);
    const all = [base, { ...base, timestamp: '1' }, { ...base, key: null }, { ...base, value: Buffer.from('x') }];
    expect(new Set(all.map(fingerprintOf)).size).toBe(4);
  });
});
