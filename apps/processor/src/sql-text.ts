/** SQL text of the sink's statements: multi-row statements and how they are grouped into round trips. */

/**
 * Rows per multi-row statement: a bound on one statement's text (an aggregate row of the largest
 * order's values takes ~600 bytes), well under max_allowed_packet.
 */
const ROWS_PER_STATEMENT = 1000;
/** Most SQL text sent in one round trip (statements are grouped up to it); MariaDB's max_allowed_packet is 16 MiB. */
const ROUND_TRIP_CHARS = 4 << 20;

let cachedSecond = NaN;
let cachedPrefix = '';

/**
 * A DATETIME(3) literal of an instant, in UTC (the session's zone is not used). The orders of a chunk
 * share a few seconds: the date and time of the last second is kept, only the milliseconds are new.
 */
export function sqlDatetime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = `'${new Date(second * 1000).toISOString().slice(0, 19).replace('T', ' ')}.`;
    cachedSecond = second;
  }
  return `${cachedPrefix}${String(ms - second * 1000).padStart(3, '0')}'`;
}

/** `head` followed by the rows' tuples (then `tail`), `rowsPerStatement` at a time; none for no rows. */
export function multiRow<T>(
  head: string,
  rows: readonly T[],
  tuple: (row: T) => string,
  tail = '',
  rowsPerStatement = ROWS_PER_STATEMENT,
): string[] {
  const statements: string[] = [];
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    statements.push(
      `${head} ${rows
        .slice(i, i + rowsPerStatement)
        .map(tuple)
        .join(',')}${tail}`,
    );
  }
  return statements;
}

/** Statements grouped, in order, into round trips of at most `maxChars` (a longer statement goes alone). */
export function roundTrips(statements: readonly string[], maxChars = ROUND_TRIP_CHARS): string[][] {
  const trips: string[][] = [];
  let trip: string[] = [];
  let chars = 0;
  for (const statement of statements) {
    if (trip.length > 0 && chars + statement.length > maxChars) {
      trips.push(trip);
      trip = [];
      chars = 0;
    }
    trip.push(statement);
    chars += statement.length + 2;
  }
  if (trip.length > 0) trips.push(trip);
  return trips;
}
