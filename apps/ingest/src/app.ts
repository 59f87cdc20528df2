/**
 * The ingest HTTP API: validates orders against the shared schema and answers 202 only once Kafka
 * acknowledged them. Errors have a machine-readable body {error, message, errors?: [{index?, path, message}]}.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Kafka } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import {
  createOpsHandler,
  openApiDocument,
  RETRY_ADVICE,
  validateBatch,
  validateOrder,
  type AcceptedOrder,
  type ConfigOf,
  type ErrorCode,
  type Logger,
  type OpsOptions,
} from '@salespipeline/shared';
import type { ingestSpec } from './config.js';
import { authenticate, requireScope } from './auth.js';
import { ApiKeySource } from './key-file.js';
import { OrderProducer, UnavailableError } from './producer.js';

export type IngestConfig = ConfigOf<typeof ingestSpec>;

export interface IngestApp {
  app: express.Express;
  producer: OrderProducer;
  /** What the ops server (/metrics /healthz /readyz, on the ops port) serves. */
  opsOptions: OpsOptions;
  close: () => Promise<void>;
}

export function createIngestApp(
  config: IngestConfig,
  deps: { kafka: Kafka; registry: Registry; logger: Logger },
): IngestApp {
  const { kafka, registry, logger } = deps;
  const keys =
    config.auth === 'required'
      ? new ApiKeySource({
          apiKeys: config.apiKeys,
          apiKeysFile: config.apiKeysFile,
          pollMs: config.apiKeysPollSeconds * 1000,
          required: true,
          registry,
          logger,
        })
      : undefined;
  const producer = new OrderProducer(kafka, {
    topic: config.ordersTopic,
    maxRequestBytes: config.maxRequestBytes,
    maxQueuedBytes: config.maxQueuedBytes,
    ackTimeoutMs: config.ackTimeoutMs,
    compression: config.kafkaCompression,
    registry,
    logger,
  });
  void producer.start();

  const accepted = new Counter({
    name: 'ingest_orders_accepted_total',
    help: 'Orders acknowledged by Kafka and answered 202',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'ingest_orders_rejected_total',
    help: 'Requests answered with an error, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ingest_request_duration_seconds',
    help: 'Request latency by route and status',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  const opsOptions: OpsOptions = {
    registry,
    logger,
    checks: [
      {
        name: 'kafka',
        check: async () => {
          if (!producer.isConnected) throw new Error('producer not connected');
          adminConnected ??= admin.connect().catch((err: unknown) => {
            adminConnected = undefined;
            throw err;
          });
          await adminConnected;
          const meta = await admin.fetchTopicMetadata({ topics: [config.ordersTopic] });
          if (!meta.topics[0]?.partitions.length) throw new Error(`topic ${config.ordersTopic} has no partitions`);
        },
      },
    ],
  };
  // The public port answers health checks but keeps the metrics to the ops port.
  const ops = createOpsHandler({ ...opsOptions, paths: ['/healthz', '/readyz'] });
  const openapi = JSON.stringify(withSecurity(openApiDocument()));

  const fail = (res: Response, status: number, error: ErrorCode, message: string, extra: object = {}) => {
    rejected.inc({ reason: error });
    res.status(status).json({ error, message, ...extra });
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    if (!ops(req, res)) next();
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  // Everything under /v1 needs a key (posting orders: scope orders:write); health and OpenAPI stay open.
  app.use(
    '/v1',
    authenticate({
      keys: () => keys?.keys() ?? [],
      required: config.auth === 'required',
      ratePerSecond: config.rateLimitPerSecond,
      burst: config.rateLimitBurst,
      onReject: (reason) => rejected.inc({ reason }),
    }),
  );
  if (config.auth === 'disabled')
    logger.warn('authentication disabled (INGEST_AUTH=disabled): for local development only');
  else logger.info({ keys: keys?.keys().map((k) => k.name) }, 'API keys loaded');

  const jsonOnly = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      fail(res, 415, 'unsupported_media_type', 'Content-Type must be application/json');
      return;
    }
    next();
  };
  const parseJson = express.json({ limit: config.maxBodyBytes, strict: false, type: () => true });
  const timed = (route: string) => (_req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer({ route });
    res.once('finish', () => end({ status: String(res.statusCode) }));
    next();
  };

  const produce = async (res: Response, orders: AcceptedOrder[]) => {
    try {
      await producer.send(orders.map((o) => ({ key: o.order_id, value: JSON.stringify(o) })));
    } catch (err) {
      if (!(err instanceof UnavailableError)) logger.error({ err }, 'unexpected produce failure');
      res.setHeader('Retry-After', String(config.retryAfterSeconds));
      fail(res, 503, 'unavailable', `${(err as Error).message}. ${RETRY_ADVICE}`);
      return;
    }
    accepted.inc(orders.length);
    res.status(202).json({ accepted: orders.length });
  };

  const writeScope = requireScope('orders:write', (reason) => rejected.inc({ reason }));
  app.post('/v1/orders', timed('order'), writeScope, jsonOnly, parseJson, async (req, res) => {
    const result = validateOrder(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) return fail(res, 400, 'invalid_order', 'the order is invalid', { errors: result.errors });
    await produce(res, [result.order]);
  });

  app.post('/v1/orders/batch', timed('batch'), writeScope, jsonOnly, parseJson, async (req, res) => {
    const result = validateBatch(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) {
      return fail(res, 400, 'invalid_order', 'the batch is invalid; no order was accepted', { errors: result.errors });
    }
    await produce(res, result.orders);
  });

  app.all(['/v1/orders', '/v1/orders/batch'], (_req: Request, res: Response) => {
    res.setHeader('Allow', 'POST');
    fail(res, 405, 'method_not_allowed', 'only POST is allowed here');
  });
  app.use((_req: Request, res: Response) => fail(res, 404, 'not_found', 'no such route'));

  // Body-parser errors: oversized, malformed, unsupported encoding.
  app.use(
    (err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      switch (err.type) {
        case 'entity.too.large':
          return fail(res, 413, 'too_large', `body larger than ${config.maxBodyBytes} bytes`);
        case 'entity.parse.failed':
          return fail(res, 400, 'invalid_json', `body is not valid JSON: ${err.message ?? ''}`);
        case 'encoding.unsupported':
        case 'charset.unsupported':
          return fail(res, 415, 'unsupported_media_type', err.message ?? 'unsupported encoding');
        default:
          if (err.status && err.status >= 400 && err.status < 500) {
            return fail(res, err.status, 'invalid_json', err.message ?? 'bad request');
          }
          logger.error({ err }, 'unhandled error');
          res.status(500).json({ error: 'internal', message: 'internal error' });
      }
    },
  );

  return {
    app,
    producer,
    opsOptions,
    close: async () => {
      keys?.close();
      await producer.close();
      if (adminConnected) await admin.disconnect();
    },
  };
}

const errorResponse = (description: string, example: { error: ErrorCode; message: string }, headers?: object) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example } },
  ...(headers ? { headers } : {}),
});

/** The shared document plus what this server adds: API keys (401), their scopes (403) and the rate limit (429). */
function withSecurity(doc: ReturnType<typeof openApiDocument>): object {
  const d = structuredClone(doc) as unknown as {
    components: Record<string, unknown>;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    security?: unknown;
  };
  d.components.securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', description: 'An API key as a Bearer token' },
    apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  };
  d.security = [{ bearer: [] }, { apiKey: [] }];
  const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds', example: 1 } };
  for (const path of Object.values(d.paths)) {
    for (const op of Object.values(path)) {
      op.responses['401'] = errorResponse('No valid API key (WWW-Authenticate: Bearer)', {
        error: 'unauthorized',
        message: 'a valid API key is required',
      });
      op.responses['403'] = errorResponse('The API key lacks the scope of the operation (orders:write)', {
        error: 'forbidden',
        message: 'the API key lacks the scope orders:write',
      });
      op.responses['429'] = errorResponse(
        'Rate limit of the API key exceeded',
        { error: 'rate_limited', message: 'too many requests; retry after the Retry-After delay' },
        retryAfter,
      );
    }
  }
  return d;
}
