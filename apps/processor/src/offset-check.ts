/**
 * Is the partition we read the one whose offsets we stored? kafkajs cannot read a topic's id
 * (Metadata v10+), so the identity of a partition is checked through its messages: with the next
 * offset we store a fingerprint of the last message applied. On assignment the processor seeks one
 * message back, and that message must have the stored fingerprint. A topic deleted and created
 * again (same name, offsets from 0) fails the check — its log ends below the stored offset, or
 * holds a different message there — and is read from its start instead of being skipped as
 * "already applied". A first offset above the stored one means messages were deleted (retention)
 * before they were applied: a gap, reported, never silent.
 */
import { createHash } from 'node:crypto';

export type OffsetVerdict = { kind: 'ok' } | { kind: 'reset'; reason: string } | { kind: 'gap'; missed: bigint };

export interface StoredPosition {
  nextOffset: bigint;
  /** Fingerprint of the message at nextOffset - 1; null before the first batch. */
  fingerprint: string | null;
}

/** A fingerprint of one message: its timestamp, key and value. */
export function fingerprintOf(m: { timestamp: string; key: Buffer | null; value: Buffer | null }): string {
  const hash = createHash('sha256');
  hash.update(m.timestamp).update('\u0000');
  hash.update(m.key ?? Buffer.alloc(0)).update('\u0000');
  hash.update(m.value ?? Buffer.alloc(0));
  return hash.digest('hex').slice(0, 40);
}

export function checkPosition(
  stored: StoredPosition,
  fetched: {
    firstOffset: bigint;
    /** The partition's log end (high watermark) when the batch was fetched. */
    highWatermark: bigint;
    /** The fingerprint of the fetched message at `offset`, if the batch holds it. */
    fingerprintAt: (offset: bigint) => string | undefined;
  },
): OffsetVerdict {
  if (stored.nextOffset === 0n)
    return fetched.firstOffset > 0n ? { kind: 'gap', missed: fetched.firstOffset } : { kind: 'ok' };
  if (fetched.highWatermark < stored.nextOffset) {
    return {
      kind: 'reset',
      reason: `the log ends at ${fetched.highWatermark}, below the stored next offset ${stored.nextOffset}`,
    };
  }
  const seen = fetched.fingerprintAt(stored.nextOffset - 1n);
  if (stored.fingerprint !== null && seen !== undefined && seen !== stored.fingerprint) {
    return { kind: 'reset', reason: `the message at offset ${stored.nextOffset - 1n} is not the one applied there` };
  }
  if (fetched.firstOffset > stored.nextOffset) return { kind: 'gap', missed: fetched.firstOffset - stored.nextOffset };
  return { kind: 'ok' };
}
