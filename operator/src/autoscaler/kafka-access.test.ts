import { describe, expect, it } from '@jest/globals';
import type { SalesPipeline, SalesPipelineSpecInput } from '@salespipeline/cdk8s';
import { validSpec } from '@salespipeline/cdk8s';
import { kafkaAccess } from './kafka-access.js';

const pipeline = (spec: SalesPipelineSpecInput, annotations?: Record<string, string>): SalesPipeline => ({
  apiVersion: 'salespipeline.io/v1alpha1',
  kind: 'SalesPipeline',
  metadata: { name: 'shop', namespace: 'sales', uid: 'u', ...(annotations ? { annotations } : {}) },
  spec,
});
const secrets: Record<string, Record<string, string>> = {
  'sales/shop-processor': { password: 'scram-pw', 'user.crt': 'CERT', 'user.key': 'KEY' },
  'sales/shop-cluster-ca-cert': { 'ca.crt': 'CA' },
  'sales/login': { username: 'u1', password: 'p1' },
  'sales/ca': { 'ca.crt': 'EXTERNAL-CA' },
};
const read = async (ns: string, name: string) => secrets[`${ns}/${name}`];
const access = (spec: SalesPipelineSpecInput, annotations?: Record<string, string>) => {
  const sp = pipeline(spec, annotations);
  return kafkaAccess(sp, validSpec(sp), read);
};

describe('how the autoscaler reaches Kafka', () => {
  it('managed, no authentication: the bootstrap Service of the listener, no SASL or TLS', async () => {
    expect(await access({})).toEqual({ brokers: ['shop-kafka-bootstrap.sales.svc:9092'], security: {} });
  });

  it('managed with scram-sha-512 or tls: as the processor KafkaUser, on the listener port of that mode', async () => {
    expect(await access({ kafka: { authentication: 'scram-sha-512' } })).toEqual({
      brokers: ['shop-kafka-bootstrap.sales.svc:9092'],
      security: { sasl: { mechanism: 'scram-sha-512', username: 'shop-processor', password: 'scram-pw' } },
    });
    expect(await access({ kafka: { authentication: 'tls' } })).toEqual({
      brokers: ['shop-kafka-bootstrap.sales.svc:9093'],
      security: { ssl: { ca: ['CA'], cert: 'CERT', key: 'KEY' } },
    });
  });

  it('external: its brokers, with the Secrets its spec names', async () => {
    const external = {
      bootstrapServers: ['k1.example.com:9096'],
      sasl: { mechanism: 'scram-sha-256' as const, secretName: 'login' },
      tls: { caSecretName: 'ca' },
    };
    expect(await access({ kafka: { external } })).toEqual({
      brokers: ['k1.example.com:9096'],
      security: { sasl: { mechanism: 'scram-sha-256', username: 'u1', password: 'p1' }, ssl: { ca: ['EXTERNAL-CA'] } },
    });
    await expect(
      access({ kafka: { external: { ...external, sasl: { ...external.sasl, secretName: 'nope' } } } }),
    ).rejects.toThrow('Secret sales/nope not found');
  });

  it('the bootstrap annotation wins', async () => {
    const got = await access({}, { 'salespipeline.io/kafka-bootstrap': '127.0.0.1:1,127.0.0.1:2' });
    expect(got.brokers).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });
});
