/**
 * A service the request depends on (Kafka, a database) cannot serve it now: not connected, full,
 * or no answer in time. The HTTP apps answer 503 with Retry-After; the client tries again later.
 */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
}
