/** SQL text of the sink's statements: multi-row statements and how they are grouped into round trips. */

/**
 * Rows per multi-row statement: a bound on one statement's text (an aggregate row of the largest
 * order's values takes ~600 bytes), well under max_allowed_packet.
 */
const ROWS_PER_STATEMENT = 1000;
/** Most SQL text sent in one round trip (statements are grouped up to it); MariaDB's max_allowed_packet is 16 MiB. */
const ROUND_TRIP_CHARS = 4 << 20;

/** The date and time of the last two seconds written (a row's event minute and its acceptance alternate). */
const recentSeconds: Array<{ second: number; prefix: string }> = [
  { second: NaN, prefix: '' },
  { second: NaN, prefix: '' },
];

/**
 * A DATETIME(3) literal of an instant, in UTC (the session's zone is not used). The orders of a chunk
 * share a few seconds: only the milliseconds are new for most of them.
 */
export function sqlDatetime(ms: number): string {
  const second = Math.floor(ms / 1000);
  let recent = recentSeconds[0]!;
  if (recent.second !== second) {
    recent = recentSeconds[1]!;
    if (recent.second !== second) {
      recent.second = second;
      recent.prefix = `'${new Date(second * 1000).toISOString().slice(0, 19).replace('T', ' ')}.`;
    }
    recentSeconds.reverse();
  }
  return `${recent.prefix}${String(ms - second * 1000).padStart(3, '0')}'`;
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
    const end = Math.min(i + rowsPerStatement, rows.length);
    let statement = `${head} ${tuple(rows[i]!)}`;
    for (let j = i + 1; j < end; j++) statement += `,${tuple(rows[j]!)}`;
    statements.push(statement + tail);
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
