import { describe, expect, it } from '@jest/globals';
import type cassandra from 'cassandra-driver';
import { cassandraReadiness, mysqlReadiness } from './store-checks.js';

describe('store readiness checks', () => {
  it('MySQL: ready when a statement is answered, the error when not', async () => {
    const asked: string[] = [];
    await expect(mysqlReadiness(async (sql) => void asked.push(sql)).check()).resolves.toBeUndefined();
    expect(asked).toEqual(['SELECT 1']);
    const down = mysqlReadiness(() => Promise.reject(new Error('ECONNREFUSED')));
    expect(down.name).toBe('mysql');
    await expect(down.check()).rejects.toThrow('ECONNREFUSED');
  });

  it('Cassandra: ready when the node answers a query, the error when not', async () => {
    const asked: string[] = [];
    const client = { execute: async (q: string) => (asked.push(q), {}) } as unknown as cassandra.Client;
    await expect(cassandraReadiness(client).check()).resolves.toBeUndefined();
    expect(asked).toEqual(['SELECT key FROM system.local']);
    const down = { execute: () => Promise.reject(new Error('NoHostAvailable')) } as unknown as cassandra.Client;
    expect(cassandraReadiness(down).name).toBe('cassandra');
    await expect(cassandraReadiness(down).check()).rejects.toThrow('NoHostAvailable');
  });
});
