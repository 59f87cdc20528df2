import { appPortVariables, kafkaSettings, opsPortVariables, setting, type ConfigOf } from '@salespipeline/shared';
import { availableCpus } from './cpus.js';

const maxWorkers = 64;

export const ingestSpec = {
  ...kafkaSettings,
  port: setting.port({
    env: appPortVariables.ingest,
    default: 18080,
    doc: 'HTTP port of the API (/v1, /openapi.json, also /healthz and /readyz)',
  }),
  host: setting.string({ env: 'INGEST_HOST', default: '0.0.0.0', doc: 'Address to listen on' }),
  opsPort: setting.port({
    env: opsPortVariables.ingest,
    default: 18085,
    doc: 'Port of the ops endpoints /metrics, /healthz and /readyz (keep it off the public network)',
  }),
  opsHost: setting.string({ env: 'INGEST_OPS_HOST', default: '0.0.0.0', doc: 'Address of the ops endpoints' }),
  workers: setting.parsed({
    env: 'INGEST_WORKERS',
    default: 'auto',
    kind: `integer 1..${maxWorkers} or auto`,
    doc: "Processes serving the API port (node:cluster workers behind one port; 1: the API runs in the main process); auto: the container's CPU limit (cgroup quota, rounded up), else the CPUs available",
    parse: (raw) => {
      if (raw.trim() === 'auto') return Math.min(maxWorkers, availableCpus());
      const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!(n >= 1 && n <= maxWorkers)) throw new Error(`must be an integer between 1 and ${maxWorkers}, or auto`);
      return n;
    },
  }),
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
  kafkaLingerMs: setting.int({
    env: 'INGEST_KAFKA_LINGER_MS',
    default: 2,
    min: 0,
    max: 1000,
    doc: 'How long an order waits for others to share its produce request when none is in flight (while one is, orders queue for the next anyway); 0: none. Below full load each produce request costs more CPU than its orders',
  }),
  kafkaCompression: setting.oneOf({
    env: 'INGEST_KAFKA_COMPRESSION',
    values: ['none', 'gzip'] as const,
    default: 'none',
    doc: 'Compression of produce requests (the codecs kafkajs has without native modules); gzip costs ingest, Kafka and processor CPU for fewer bytes on the wire and disk',
  }),
  maxQueuedBytes: setting.int({
    env: 'INGEST_MAX_QUEUED_BYTES',
    default: 64 * 1024 * 1024,
    min: 1_000_000,
    doc: 'Orders waiting for Kafka above this size are refused with 503 (back-pressure)',
  }),
  auth: setting.oneOf({
    env: 'INGEST_AUTH',
    values: ['required', 'disabled'] as const,
    default: 'required',
    doc: 'required: every /v1 request needs an API key (the process refuses to start without keys); disabled: local development only',
  }),
  apiKeys: setting.optionalString({
    env: 'INGEST_API_KEYS',
    secret: true,
    doc: 'API keys, comma-separated name:key or name:key:scope entries (a key has 16+ characters; scopes orders:write, orders:read; none: every scope)',
  }),
  apiKeysFile: setting.optionalString({
    env: 'INGEST_API_KEYS_FILE',
    doc: 'File of API keys (entries as INGEST_API_KEYS, one per line), e.g. a mounted Secret; reloaded when it changes',
  }),
  apiKeysPollSeconds: setting.number({
    env: 'INGEST_API_KEYS_POLL_SECONDS',
    default: 10,
    min: 0.1,
    doc: 'How often the key file is read again besides watching it (for volumes that cannot be watched)',
  }),
  rateLimitPerSecond: setting.number({
    env: 'INGEST_RATE_LIMIT_PER_SECOND',
    default: 5000,
    min: 0,
    doc: 'Requests per second per API key (per client address without auth) before 429, for the process (each of its workers keeps an equal share, as of the burst); 0: no limit',
  }),
  rateLimitBurst: setting.int({
    env: 'INGEST_RATE_LIMIT_BURST',
    default: 10_000,
    min: 1,
    doc: 'Requests a client may send at once above the rate (token bucket size)',
  }),
};

export type IngestConfig = ConfigOf<typeof ingestSpec>;
