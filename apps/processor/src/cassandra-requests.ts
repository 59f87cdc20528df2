/**
 * Rows grouped into Cassandra requests, a pure step of the Cassandra sink: rows that share a group key
 * (a partition, or a replica set) go together, in order, up to `maxRows` rows and `maxBytes` of data
 * per request; a row as large as `maxBytes` or larger is a request of its own (a lone row is sent as a
 * plain write, which no batch threshold applies to).
 */
export interface RequestLimits {
  maxRows: number;
  maxBytes: number;
}

export function groupRequests<R>(
  rows: Iterable<R>,
  limits: RequestLimits,
  keyOf: (row: R) => unknown,
  bytesOf: (row: R) => number,
): R[][] {
  const requests: R[][] = [];
  const open = new Map<unknown, { rows: R[]; bytes: number }>();
  for (const row of rows) {
    const bytes = bytesOf(row);
    if (bytes >= limits.maxBytes) {
      requests.push([row]);
      continue;
    }
    const key = keyOf(row);
    let request = open.get(key);
    if (request && (request.rows.length >= limits.maxRows || request.bytes + bytes > limits.maxBytes)) {
      requests.push(request.rows);
      request = undefined;
    }
    if (request) {
      request.rows.push(row);
      request.bytes += bytes;
    } else open.set(key, { rows: [row], bytes });
  }
  for (const request of open.values()) requests.push(request.rows);
  return requests;
}
