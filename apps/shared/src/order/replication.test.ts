import { describe, expect, it } from '@jest/globals';
import { networkTopology, parseReplication, replicationCql, replicationOf, sameReplication } from './replication.js';

describe('keyspace replication', () => {
  it('gives each datacenter min(3, nodes) replicas', () => {
    expect(replicationCql(networkTopology({ dc1: 5, edge: 1, mid: 2 }))).toBe(
      "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'edge': 1, 'mid': 2}",
    );
  });

  it('reads both strategies back from CQL, canonically', () => {
    expect(replicationCql(parseReplication("{ 'class' : 'SimpleStrategy', 'replication_factor': '1' }"))).toBe(
      "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    const nts = "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}";
    expect(replicationCql(parseReplication(nts))).toBe(nts);
  });

  it('matches what Cassandra reports in system_schema', () => {
    const reported = replicationOf({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3' });
    expect(sameReplication(reported, networkTopology({ dc1: 3 }))).toBe(true);
    expect(sameReplication(reported, networkTopology({ dc1: 1 }))).toBe(false);
  });

  it.each([
    ['SimpleStrategy', /CQL map/],
    ["{'class': 'LocalStrategy'}", /SimpleStrategy or NetworkTopologyStrategy/],
    ["{'class': 'SimpleStrategy'}", /exactly 'replication_factor'/],
    ["{'class': 'SimpleStrategy', 'replication_factor': 0}", /replica count of 1 to 99/],
    ["{'class': 'NetworkTopologyStrategy'}", /at least one datacenter/],
    ["{'class': 'NetworkTopologyStrategy', 'dc 1': 3}", /not a datacenter name/],
    ["{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc1': 2}", /given twice/],
    ["{'class': 'NetworkTopologyStrategy', 'dc1': three}", /cannot read the entry/],
  ])('refuses %s', (text, message) => {
    expect(() => parseReplication(text)).toThrow(message);
  });
});
