import { describe, expect, it } from '@jest/globals';
import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { centsOf, LIMITS } from '@salespipeline/shared';
import { cqlBigint, cqlDecimal, cqlTimestamp } from './cql-values.js';

/** The driver's own encoder (protocol v4), which these bytes must match. */
const { Encoder } = cassandra as unknown as {
  Encoder: new (version: number, options: object) => { encode(value: unknown, type: number): Buffer };
};
const encoder = new Encoder(4, {});
const { dataTypes, BigDecimal, Long } = cassandra.types;

describe('CQL values encoded as the driver encodes them', () => {
  const largest = LIMITS.maxItems * LIMITS.maxPrice * LIMITS.maxQty - 0.01;

  it('decimal: every amount to the cent, both signs, across byte boundaries', () => {
    const amounts = [0, 0.01, 1.27, 1.28, 2.55, 2.56, 327.67, 327.68, 12.3, 499.99, -0.01, -1.28, -1.29, -7.05];
    const property = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    for (const amount of [
      ...amounts,
      LIMITS.maxPrice,
      largest,
      -largest,
      ...fc.sample(property, 500).map((c) => c / 100),
    ]) {
      const driver = encoder.encode(new BigDecimal(centsOf(amount), 2), dataTypes.decimal);
      expect({ amount, bytes: cqlDecimal(amount).toString('hex') }).toEqual({ amount, bytes: driver.toString('hex') });
    }
  });

  it('decimal: refuses an amount with more than 2 decimals', () => {
    expect(() => cqlDecimal(1.005)).toThrow(RangeError);
  });

  it('timestamp: milliseconds since the epoch, before and after it', () => {
    const property = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
    for (const ms of [0, 1, -1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 1_700_000_000_123, ...fc.sample(property, 500)]) {
      const driver = encoder.encode(new Date(ms), dataTypes.timestamp);
      expect({ ms, bytes: cqlTimestamp(ms).toString('hex') }).toEqual({ ms, bytes: driver.toString('hex') });
    }
  });

  it('bigint: a Kafka offset, up to the largest', () => {
    for (const offset of ['0', '1', '4294967296', '9007199254740993', '9223372036854775807']) {
      const driver = encoder.encode(Long.fromString(offset), dataTypes.bigint);
      expect(cqlBigint(offset).toString('hex')).toBe(driver.toString('hex'));
    }
  });
});
