/**
 * The order routes: everything under /v1 needs an API key (auth.ts), posting orders the scope
 * orders:write; a JSON body within the size limit, validated against the shared schema, is answered
 * 202 only once Kafka acknowledged every order. Errors are thrown as HttpErrors for the error tail.
 * The two POST routes are mounted on the app itself, each with its whole chain (key, timing, scope,
 * body): express' router spends more per layer and per nested router (path matching, prefix
 * trimming) than a route spends per handler, and these two take nearly every request.
 */
import type { Express, Response } from 'express';
import {
  DependencyUnavailableError,
  encodeOrder,
  HttpError,
  methodNotAllowed,
  RETRY_ADVICE,
  timed,
  validateBatch,
  validateOrder,
  type AcceptedOrder,
  type Logger,
} from '@salespipeline/shared';
import { authenticate, requireScope, type ApiKey } from './auth.js';
import type { IngestConfig } from './config.js';
import { jsonBody } from './json-body.js';
import type { IngestMetrics } from './metrics.js';
import type { OrderProducer } from './producer.js';

export interface OrderRoutesDeps {
  config: IngestConfig;
  /** The API keys now (none with auth disabled). */
  keys: () => readonly ApiKey[];
  producer: OrderProducer;
  metrics: IngestMetrics;
  logger: Logger;
}

/**
 * The 202 of accepted orders, written directly: res.json's type and charset handling, and setHeader's
 * checks of each name and value, are work a fixed answer does not need.
 */
function answerAccepted(res: Response, count: number): void {
  const body = `{"accepted":${count}}`;
  res.writeHead(202, ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(body.length)]);
  res.end(body);
}

/** Mounts the order routes on `app`. */
export function mountOrderRoutes(app: Express, { config, keys, producer, metrics, logger }: OrderRoutesDeps): void {
  const onReject = (reason: string) => metrics.rejected.inc({ reason });
  const auth = authenticate({
    keys,
    required: config.auth === 'required',
    ratePerSecond: config.rateLimitPerSecond,
    burst: config.rateLimitBurst,
    onReject,
  });
  const body = [requireScope('orders:write', onReject), jsonBody(config.maxBodyBytes)];

  const produce = async (res: Response, orders: AcceptedOrder[]) => {
    try {
      await producer.send(orders.map(encodeOrder));
    } catch (err) {
      if (!(err instanceof DependencyUnavailableError)) logger.error({ err }, 'unexpected produce failure');
      throw new HttpError(503, 'unavailable', `${(err as Error).message}. ${RETRY_ADVICE}`, {
        headers: { 'Retry-After': String(config.retryAfterSeconds) },
      });
    }
    metrics.accepted.inc(orders.length);
    answerAccepted(res, orders.length);
  };

  app.post('/v1/orders', auth, timed(metrics.duration, 'order', metrics.inFlight), ...body, async (req, res) => {
    const result = validateOrder(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) throw new HttpError(400, 'invalid_order', 'the order is invalid', { errors: result.errors });
    await produce(res, [result.order]);
  });
  app.post('/v1/orders/batch', auth, timed(metrics.duration, 'batch', metrics.inFlight), ...body, async (req, res) => {
    const result = validateBatch(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) {
      throw new HttpError(400, 'invalid_order', 'the batch is invalid; no order was accepted', {
        errors: result.errors,
      });
    }
    await produce(res, result.orders);
  });
  // Every other request under /v1 needs a key too (one limiter: the same middleware).
  app.use('/v1', auth);
  app.all(['/v1/orders', '/v1/orders/batch'], methodNotAllowed('POST'));
}
