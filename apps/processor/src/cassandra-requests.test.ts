import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { groupRequests } from './cassandra-requests.js';

interface TestRow {
  id: number;
  key: string;
  bytes: number;
}
/** The requests' row ids, the requests in the order of their first row (their order is free). */
const ids = (requests: TestRow[][]) => requests.map((r) => r.map((x) => x.id)).sort((a, b) => a[0]! - b[0]!);
const group = (rows: TestRow[], maxRows: number, maxBytes: number) =>
  groupRequests(
    rows,
    { maxRows, maxBytes },
    (r) => r.key,
    (r) => r.bytes,
  );

describe('groupRequests', () => {
  it('puts rows of one key together, up to maxRows', () => {
    const rows = [0, 1, 2, 3, 4].map((id) => ({ id, key: id % 2 ? 'odd' : 'even', bytes: 1 }));
    expect(ids(group(rows, 2, 100))).toEqual([[0, 2], [1, 3], [4]]);
  });

  it('closes a request before its bytes would pass maxBytes, and sends a row as large alone', () => {
    const rows = [
      { id: 0, key: 'k', bytes: 40 },
      { id: 1, key: 'k', bytes: 50 },
      { id: 2, key: 'k', bytes: 20 },
      { id: 3, key: 'k', bytes: 100 },
      { id: 4, key: 'k', bytes: 30 },
    ];
    expect(ids(group(rows, 10, 100))).toEqual([[0, 1], [2, 4], [3]]);
  });

  it('keeps every row exactly once, in order within a request, within the limits', () => {
    const row = fc.record({ key: fc.constantFrom('a', 'b', 'c'), bytes: fc.integer({ min: 1, max: 300 }) });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), (drafts, maxRows) => {
        const rows = drafts.map((d, id) => ({ ...d, id }));
        const requests = group(rows, maxRows, 100);
        expect(
          requests
            .flat()
            .map((r) => r.id)
            .sort((a, b) => a - b),
        ).toEqual(rows.map((r) => r.id));
        for (const request of requests) {
          expect(new Set(request.map((r) => r.key)).size).toBe(1);
          expect(request.map((r) => r.id)).toEqual(request.map((r) => r.id).sort((a, b) => a - b));
          if (request.length > 1) {
            expect(request.length).toBeLessThanOrEqual(maxRows);
            expect(request.reduce((s, r) => s + r.bytes, 0)).toBeLessThanOrEqual(100);
          }
        }
      }),
    );
  });
});
