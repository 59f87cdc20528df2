/**
 * How the operator reaches a SalesPipeline's Kafka to read the consumer lag: the bootstrap servers
 * (the KAFKA_BOOTSTRAP_OVERRIDE setting or the annotation win) and the client's SASL/TLS settings.
 * With authentication the operator reads as the processor (its KafkaUser may describe the group and
 * the topic), or with the credentials spec.kafka.external names.
 */
import {
  externalSecretKeys,
  kafkaBootstrapAnnotation,
  kafkaBootstrapServers,
  names,
  type SalesPipeline,
  type SalesPipelineSpec,
} from '@salespipeline/cdk8s';
import { kafkaSecurity, type KafkaClientConfig } from '@salespipeline/shared';
import type { KafkaConfig } from 'kafkajs';

export type KafkaSecurity = Pick<KafkaConfig, 'sasl' | 'ssl'>;
export interface KafkaAccess {
  brokers: string[];
  security: KafkaSecurity;
}
/** A Secret's decoded keys; undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export function lagBrokers(sp: SalesPipeline, spec: SalesPipelineSpec, override?: string): string[] {
  const fromAnnotation = sp.metadata.annotations?.[kafkaBootstrapAnnotation] ?? override;
  if (fromAnnotation === undefined) return kafkaBootstrapServers(sp.metadata, spec, true);
  return fromAnnotation
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function secretKeys(read: SecretReader, namespace: string, name: string, keys: string[]) {
  const data = await read(namespace, name);
  if (!data) throw new Error(`Kafka credentials: Secret ${namespace}/${name} not found`);
  const missing = keys.filter((k) => !data[k]);
  if (missing.length > 0) throw new Error(`Kafka credentials: Secret ${namespace}/${name} lacks ${missing.join(', ')}`);
  return data;
}

async function securitySettings(
  sp: SalesPipeline,
  spec: SalesPipelineSpec,
  read: SecretReader,
): Promise<Partial<KafkaClientConfig>> {
  const ns = sp.metadata.namespace;
  const { external, authentication } = spec.kafka;
  const k = externalSecretKeys;
  if (external) {
    const sasl = external.sasl && (await secretKeys(read, ns, external.sasl.secretName, [k.username, k.password]));
    const ca = external.tls?.caSecretName && (await secretKeys(read, ns, external.tls.caSecretName, [k.ca]));
    const client =
      external.tls?.clientCertSecretName &&
      (await secretKeys(read, ns, external.tls.clientCertSecretName, [k.cert, k.key]));
    return {
      kafkaSaslMechanism: external.sasl?.mechanism ?? 'none',
      ...(sasl ? { kafkaSaslUsername: sasl[k.username], kafkaSaslPassword: sasl[k.password] } : {}),
      kafkaSsl: Boolean(external.tls),
      ...(ca ? { kafkaSslCa: ca[k.ca] } : {}),
      ...(client ? { kafkaSslCert: client[k.cert], kafkaSslKey: client[k.key] } : {}),
    };
  }
  const n = names(sp.metadata.name);
  const user = n.kafkaUser('processor');
  switch (authentication) {
    case 'none':
      return {};
    case 'scram-sha-512': {
      const secret = await secretKeys(read, ns, user, ['password']);
      return { kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: user, kafkaSaslPassword: secret.password };
    }
    case 'tls': {
      const ca = await secretKeys(read, ns, n.clusterCaSecret, ['ca.crt']);
      const cert = await secretKeys(read, ns, user, ['user.crt', 'user.key']);
      return {
        kafkaSsl: true,
        kafkaSslCa: ca['ca.crt'],
        kafkaSslCert: cert['user.crt'],
        kafkaSslKey: cert['user.key'],
      };
    }
  }
}

export async function kafkaAccess(
  sp: SalesPipeline,
  spec: SalesPipelineSpec,
  read: SecretReader,
  override?: string,
): Promise<KafkaAccess> {
  const brokers = lagBrokers(sp, spec, override);
  const settings = await securitySettings(sp, spec, read);
  return {
    brokers,
    security: kafkaSecurity({ kafkaBrokers: brokers, kafkaClientId: 'salespipeline-operator', ...settings }),
  };
}
