import { describe, expect, it } from '@jest/globals';
import cassandra from 'cassandra-driver';
import { centsToDecimal, LIMITS } from '@salespipeline/shared';
import { cqlDecimal } from './cassandra-sink.js';

describe('cqlDecimal', () => {
  it('is the decimal the amount reads as, to the cent, up to the largest valid total', () => {
    const largest = LIMITS.maxItems * LIMITS.maxPrice * LIMITS.maxQty - 0.01;
    for (const amount of [0, 0.01, 0.1, 12.3, 499.99, -7.05, LIMITS.maxPrice, largest]) {
      const viaString = cassandra.types.BigDecimal.fromString(centsToDecimal(Math.round(amount * 100)));
      const d = cqlDecimal(amount);
      expect(d.toString()).toBe(viaString.toString());
      expect(d.equals(viaString)).toBe(true);
    }
  });

  it('refuses an amount with more than 2 decimals', () => {
    expect(() => cqlDecimal(1.005)).toThrow(RangeError);
  });
});
