import { appPortVariables, kafkaSettings, setting } from '@salespipeline/shared';

export const ingestSpec = {
  ...kafkaSettings,
  port: setting.port({
    env: appPortVariables.ingest,
    default: 18080,
    doc: 'HTTP port of the API and the ops endpoints',
  }),
  host: setting.string({ env: 'INGEST_HOST', default: '0.0.0.0', doc: 'Address to listen on' }),
  ordersTopic: setting.string({
    env: 'ORDERS_TOPIC',
    default: 'orders',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
    doc: 'Kafka topic of accepted orders',
  }),
  defaultCurrency: setting.string({
    env: 'DEFAULT_CURRENCY',
    default: 'USD',
    pattern: /^[A-Z]{3}$/,
    doc: 'ISO 4217 currency set on orders that have none',
  }),
  ackTimeoutMs: setting.int({
    env: 'INGEST_ACK_TIMEOUT_MS',
    default: 5000,
    min: 100,
    max: 60_000,
    doc: 'How long a request waits for Kafka to acknowledge before answering 503',
  }),
  retryAfterSeconds: setting.int({
    env: 'INGEST_RETRY_AFTER_SECONDS',
    default: 2,
    min: 1,
    max: 600,
    doc: 'Retry-After of a 503',
  }),
  maxBodyBytes: setting.int({
    env: 'INGEST_MAX_BODY_BYTES',
    default: 16 * 1024 * 1024,
    min: 1024,
    doc: 'Largest request body accepted (413 above)',
  }),
  maxRequestBytes: setting.int({
    env: 'INGEST_KAFKA_MAX_REQUEST_BYTES',
    default: 900_000,
    min: 10_000,
    doc: 'Largest produce request (bytes of values); keep below the broker message.max.bytes',
  }),
  maxQueuedBytes: setting.int({
    env: 'INGEST_MAX_QUEUED_BYTES',
    default: 64 * 1024 * 1024,
    min: 1_000_000,
    doc: 'Orders waiting for Kafka above this size are refused with 503 (back-pressure)',
  }),
};
