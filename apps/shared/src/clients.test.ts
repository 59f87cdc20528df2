import { describe, expect, it } from '@jest/globals';
import mysql from 'mysql2';
import { loadConfig } from './config.js';
import { kafkaSettings } from './infra.js';
import { formatQuery, kafkaSecurity } from './clients.js';

describe('Kafka client security settings', () => {
  it('off by default: no sasl, no ssl', () => {
    expect(kafkaSecurity(loadConfig(kafkaSettings, {}))).toEqual({});
    // A config without the optional auth settings at all (older callers) is the same.
    expect(kafkaSecurity({ kafkaBrokers: ['b:1'], kafkaClientId: 'c' })).toEqual({});
  });

  it('SCRAM from KAFKA_SASL_*', () => {
    const config = loadConfig(kafkaSettings, {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'shop-ingest',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(kafkaSecurity(config)).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'shop-ingest', password: 's3cret' },
    });
  });

  it('mutual TLS from KAFKA_SSL_*', () => {
    const config = loadConfig(kafkaSettings, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA: 'CA',
      KAFKA_SSL_CERT: 'CERT',
      KAFKA_SSL_KEY: 'KEY',
    });
    expect(kafkaSecurity(config)).toEqual({ ssl: { ca: ['CA'], cert: 'CERT', key: 'KEY' } });
  });

  it('rejects an unknown mechanism', () => {
    expect(() => loadConfig(kafkaSettings, { KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });
});

describe('formatQuery', () => {
  const connection = { config: { stringifyObjects: false } };

  it("fills placeholders as mysql2 does, a query's values escaped", () => {
    const sql = "SELECT ? AS a, ? AS b FROM t WHERE c = '?' AND d IN (?)";
    const values = ["it's", 2, ['x', 'y']];
    expect(formatQuery.call(connection, sql, values, 'Z')).toBe(mysql.format(sql, values, false, 'Z'));
    expect(formatQuery.call(connection, 'INSERT INTO t VALUES ?', [[[1, 'a']]], 'Z')).toBe(
      "INSERT INTO t VALUES (1, 'a')",
    );
  });

  it('sends a query without values as written', () => {
    const sql = "INSERT INTO t VALUES ('a?b'), ('c')";
    expect(formatQuery.call(connection, sql, [], 'Z')).toBe(sql);
    expect(formatQuery.call(connection, sql, undefined, 'Z')).toBe(sql);
    expect(mysql.format(sql, [], false, 'Z')).toBe(sql);
  });
});
