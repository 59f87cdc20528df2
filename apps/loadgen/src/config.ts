import { setting } from '@salespipeline/shared';

export const loadgenSpec = {
  target: setting.url({
    env: 'LOADGEN_TARGET',
    protocols: ['http', 'https'],
    default: 'http://127.0.0.1:18080',
    doc: 'Base URL of the ingest API',
  }),
  apiKey: setting.optionalString({
    env: 'LOADGEN_API_KEY',
    secret: true,
    doc: 'API key sent to the ingest API as a Bearer token (unset: none, for an ingest with INGEST_AUTH=disabled)',
  }),
  rate: setting.number({ env: 'LOADGEN_RATE', default: 50, min: 0.1, doc: 'Orders per second' }),
  durationSeconds: setting.number({
    env: 'LOADGEN_DURATION_SECONDS',
    default: 0,
    min: 0,
    doc: 'How long to run (0: until stopped, or until the CSV ends)',
  }),
  batchSize: setting.int({
    env: 'LOADGEN_BATCH_SIZE',
    default: 1,
    min: 1,
    max: 1000,
    doc: 'Orders per request (1: POST /v1/orders, more: the batch endpoint)',
  }),
  concurrency: setting.int({ env: 'LOADGEN_CONCURRENCY', default: 8, min: 1, max: 4096, doc: 'Requests in flight' }),
  csv: setting.optionalString({
    env: 'LOADGEN_CSV',
    doc: 'Replay this CSV (the seed dataset columns) instead of synthetic orders',
  }),
  retime: setting.bool({
    env: 'LOADGEN_RETIME',
    default: true,
    doc: 'Replayed orders get the current time as created_at (false: keep the CSV dates)',
  }),
  seed: setting.int({ env: 'LOADGEN_SEED', default: 42, doc: 'Seed of the synthetic generator' }),
  idPrefix: setting.optionalString({ env: 'LOADGEN_ID_PREFIX', doc: 'Prefix of order ids (default: a run id)' }),
  reportIntervalMs: setting.int({
    env: 'LOADGEN_REPORT_INTERVAL_MS',
    default: 5000,
    min: 100,
    doc: 'How often a progress line is printed',
  }),
  opsPort: setting.port({ env: 'LOADGEN_OPS_PORT', default: 18084, doc: 'Port of /healthz /readyz /metrics' }),
  opsHost: setting.string({ env: 'LOADGEN_OPS_HOST', default: '0.0.0.0', doc: 'Address of the ops server' }),
};
