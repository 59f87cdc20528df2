import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { multiRow, roundTrips, sqlDatetime } from './sql-text.js';

describe('SQL text of the sink', () => {
  it('writes instants as UTC DATETIME(3) literals, whatever the zone of the process', () => {
    expect(sqlDatetime(Date.parse('2026-03-01T06:29:00Z'))).toBe("'2026-03-01 06:29:00.000'");
    expect(sqlDatetime(Date.parse('2026-03-01T11:59:30.123+05:30'))).toBe("'2026-03-01 06:29:30.123'");
    expect(sqlDatetime(Date.parse('2026-03-01T06:29:30.007Z'))).toBe("'2026-03-01 06:29:30.007'");
    expect(sqlDatetime(Date.parse('1969-12-31T23:59:59.250Z'))).toBe("'1969-12-31 23:59:59.250'");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.parse('9999-12-31T23:59:59.999Z') }), (ms) => {
        expect(sqlDatetime(ms)).toBe(`'${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}'`);
      }),
    );
  });

  it('splits rows into statements of at most the given number, in order, none for no rows', () => {
    const tuple = (n: number) => `(${n})`;
    expect(multiRow('INSERT INTO t (n) VALUES', [1, 2, 3, 4, 5], tuple, ' ON DUPLICATE KEY UPDATE n = n', 2)).toEqual([
      'INSERT INTO t (n) VALUES (1),(2) ON DUPLICATE KEY UPDATE n = n',
      'INSERT INTO t (n) VALUES (3),(4) ON DUPLICATE KEY UPDATE n = n',
      'INSERT INTO t (n) VALUES (5) ON DUPLICATE KEY UPDATE n = n',
    ]);
    expect(multiRow('SELECT n FROM t WHERE n IN (', [], tuple, ')')).toEqual([]);
  });

  it('groups statements into round trips within the size, in order, each statement once (property)', () => {
    const statements = fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 30 });
    fc.assert(
      fc.property(statements, fc.integer({ min: 1, max: 100 }), (list, max) => {
        const trips = roundTrips(list, max);
        expect(trips.flat()).toEqual(list);
        for (const trip of trips) {
          expect(trip.length).toBeGreaterThan(0);
          // Over the size only when a statement alone is.
          if (trip.length > 1) expect(trip.join(';\n').length).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
});
