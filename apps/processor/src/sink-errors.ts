/**
 * Which sink errors are caused by one message (retrying it can never succeed: it goes to the
 * dead-letter topic) and which are the sink's (down, slow, overloaded, misconfigured: retry with
 * backoff, the partition waits). When in doubt an error is transient: a stalled partition is
 * visible and recovers, a message wrongly dead-lettered is not counted.
 */
import cassandra from 'cassandra-driver';

export type SinkErrorClass = 'transient' | 'permanent';

/** MySQL errors about a value that does not fit its column: the same row always fails. */
const MYSQL_VALUE_ERRORS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  1690, // ER_DATA_OUT_OF_RANGE
]);

/** Cassandra "invalid" answers that are about the schema, not about the values: fix and retry. */
const CASSANDRA_SCHEMA_PROBLEM = /unconfigured table|keyspace .* does not exist|undefined column|unknown type/i;

export function classifySinkError(err: unknown): SinkErrorClass {
  if (err instanceof cassandra.errors.ResponseError) {
    return err.code === cassandra.types.responseErrorCodes.invalid && !CASSANDRA_SCHEMA_PROBLEM.test(err.message)
      ? 'permanent'
      : 'transient';
  }
  // A value out of its type's range (the driver's encoders, money conversion): the value is the problem.
  if (err instanceof RangeError) return 'permanent';
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === 'number' && MYSQL_VALUE_ERRORS.has(errno)) return 'permanent';
  return 'transient';
}

/** A short reason for the dead-letter header. */
export function sinkErrorReason(err: unknown, step: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${step} rejected the message: ${message}`.slice(0, 1000);
}
