import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';

const kafkajsCrc32C = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  buffer: Buffer,
) => number;

describe('crc32c', () => {
  it('is the CRC-32C of the standard check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it("is kafkajs' checksum of any bytes, from any offset of a larger buffer (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(7), (bytes, start) => {
        const framed = Buffer.concat([Buffer.alloc(start, 0x5a), bytes]).subarray(start);
        expect(crc32c(framed)).toBe(kafkajsCrc32C(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});
