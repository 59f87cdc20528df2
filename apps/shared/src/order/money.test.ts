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

  it('agrees with the shortest decimal of the double for any amount (property)', () => {
    const bySpelling = (amount: number) => {
      const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
      const cents = m && Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
      return m && Number.isSafeInteger(cents) ? (m[1] && cents !== 0 ? -cents! : cents!) : undefined;
    };
    const amounts = fc.oneof(
      fc.double({ noNaN: false }),
      fc.double({ min: -1e16, max: 1e16 }),
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map((c) => c / 100),
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map((c) => c / 1000),
      fc
        .tuple(fc.integer({ min: 2 ** 48, max: 2 ** 50 }), fc.constantFrom(0, 1e-3, -1e-3))
        .map(([c, d]) => c / 100 + d),
    );
    fc.assert(
      fc.property(amounts, (amount) => expect(toCents(amount)).toBe(bySpelling(amount))),
      { numRuns: 20_000 },
    );
  });

  it('formats negatives and big values exactly', () => {
    expect(centsToDecimal(-5)).toBe('-0.05');
    expect(centsToDecimal(123456789012345n)).toBe('1234567890123.45');
    expect(decimalToCents('-0.05')).toBe(-5);
    expect(decimalToCents('7')).toBe(700);
  });
});
