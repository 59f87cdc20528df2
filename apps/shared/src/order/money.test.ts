import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { centsOf, centsToDecimal, decimalToCents, toCents } from './money.js';

describe('money', () => {
  it('converts amounts with at most 2 decimals to exact cents', () => {
    expect(toCents(10.05)).toBe(1005);
    expect(toCents(0.3)).toBe(30);
    expect(toCents(0.001)).toBeUndefined();
    expect(toCents(-12.5)).toBe(-1250);
  });

  it('rejects a third decimal exactly, also for large amounts and float artefacts', () => {
    for (const bad of [499999.999, 9999999.995, 99999999999.991, 0.1 + 0.2, 1e-7, 1e21, NaN, Infinity]) {
      expect(toCents(bad)).toBeUndefined();
    }
    expect(toCents(499999.99)).toBe(49999999);
    expect(toCents(1e13)).toBe(1e15);
    expect(() => centsOf(1.234)).toThrow('more than 2 decimals');
  });

  it('round-trips cents through JSON numbers and DECIMAL strings (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Math.floor(2 ** 53 / 1000) }), (cents) => {
        expect(toCents(cents / 100)).toBe(cents);
        expect(decimalToCents(centsToDecimal(cents))).toBe(cents);
        expect(decimalToCents(cents / 100)).toBe(cents);
      }),
    );
  });

  it('formats negatives and big values exactly', () => {
    expect(centsToDecimal(-5)).toBe('-0.05');
    expect(centsToDecimal(123456789012345n)).toBe('1234567890123.45');
    expect(decimalToCents('-0.05')).toBe(-5);
    expect(decimalToCents('7')).toBe(700);
  });
});
