/**
 * Replication of the orders keyspace: the two strategies Cassandra offers, parsed strictly from their
 * CQL map (CASSANDRA_REPLICATION) and rendered back as one canonical CQL map.
 */
export type Replication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; datacenters: Record<string, number> };

/** Most replicas a datacenter gets: three survive one node down at LOCAL_QUORUM. */
export const MAX_REPLICAS_PER_DC = 3;

/** NetworkTopologyStrategy with min(3, nodes) replicas in each datacenter (by name → nodes). */
export function networkTopology(nodesPerDatacenter: Record<string, number>): Replication {
  return {
    class: 'NetworkTopologyStrategy',
    datacenters: Object.fromEntries(
      Object.entries(nodesPerDatacenter).map(([dc, nodes]) => [dc, Math.min(MAX_REPLICAS_PER_DC, nodes)]),
    ),
  };
}

export function replicationCql(r: Replication): string {
  const entries =
    r.class === 'SimpleStrategy'
      ? [`'replication_factor': ${r.replicationFactor}`]
      : Object.entries(r.datacenters).map(([dc, n]) => `'${dc}': ${n}`);
  return `{${[`'class': '${r.class}'`, ...entries].join(', ')}}`;
}

const datacenterName = /^[A-Za-z0-9_.-]{1,100}$/;
const strategyPrefix = 'org.apache.cassandra.locator.';

/** The replication of a map whose values are strings (as in system_schema.keyspaces, or parsed CQL). */
export function replicationOf(map: Record<string, string>): Replication {
  const { class: rawClass, ...rest } = map;
  const strategy = rawClass?.startsWith(strategyPrefix) ? rawClass.slice(strategyPrefix.length) : rawClass;
  const factor = (key: string, value: string) => {
    if (!/^\d{1,2}$/.test(value) || Number(value) < 1) throw new Error(`'${key}' must be a replica count of 1 to 99`);
    return Number(value);
  };
  if (strategy === 'SimpleStrategy') {
    const keys = Object.keys(rest);
    if (keys.length !== 1 || keys[0] !== 'replication_factor')
      throw new Error("SimpleStrategy takes exactly 'replication_factor'");
    return { class: strategy, replicationFactor: factor('replication_factor', rest.replication_factor!) };
  }
  if (strategy === 'NetworkTopologyStrategy') {
    const entries = Object.entries(rest);
    if (entries.length === 0)
      throw new Error('NetworkTopologyStrategy needs a replica count for at least one datacenter');
    for (const [dc] of entries) if (!datacenterName.test(dc)) throw new Error(`'${dc}' is not a datacenter name`);
    return { class: strategy, datacenters: Object.fromEntries(entries.map(([dc, v]) => [dc, factor(dc, v)])) };
  }
  throw new Error("'class' must be SimpleStrategy or NetworkTopologyStrategy");
}

/** Parses a CQL replication map, e.g. {'class': 'NetworkTopologyStrategy', 'dc1': 3}. */
export function parseReplication(text: string): Replication {
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1];
  if (body === undefined) throw new Error("must be a CQL map like {'class': 'NetworkTopologyStrategy', 'dc1': 3}");
  const map: Record<string, string> = {};
  for (const entry of body.split(',')) {
    const m = /^\s*'([^']+)'\s*:\s*(?:'([^']*)'|(\d+))\s*$/.exec(entry);
    if (!m) throw new Error(`cannot read the entry ${JSON.stringify(entry.trim())}`);
    if (m[1]! in map) throw new Error(`'${m[1]}' is given twice`);
    map[m[1]!] = m[2] ?? m[3]!;
  }
  return replicationOf(map);
}

export const sameReplication = (a: Replication, b: Replication) => replicationCql(a) === replicationCql(b);
