/**
 * The order routes: everything under /v1 needs an API key (auth.ts), posting orders the scope
 * orders:write; a JSON body within the size limit, validated against the shared schema, is answered
 * 202 only once Kafka acknowledged every order. Errors are thrown as HttpErrors for the error tail.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
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

const jsonOnly = (req: Request, _res: Response, next: NextFunction) => {
  if (!req.is('application/json'))
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  next();
};

export function orderRoutes({ config, keys, producer, metrics, logger }: OrderRoutesDeps): express.Router {
  const onReject = (reason: string) => metrics.rejected.inc({ reason });
  const router = express.Router();
  router.use(
    '/v1',
    authenticate({
      keys,
      required: config.auth === 'required',
      ratePerSecond: config.rateLimitPerSecond,
      burst: config.rateLimitBurst,
      onReject,
    }),
  );
  const body = [
    requireScope('orders:write', onReject),
    jsonOnly,
    express.json({ limit: config.maxBodyBytes, strict: false, type: () => true }),
  ];

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
    res.status(202).json({ accepted: orders.length });
  };

  router.post('/v1/orders', timed(metrics.duration, 'order', metrics.inFlight), ...body, async (req, res) => {
    const result = validateOrder(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) throw new HttpError(400, 'invalid_order', 'the order is invalid', { errors: result.errors });
    await produce(res, [result.order]);
  });
  router.post('/v1/orders/batch', timed(metrics.duration, 'batch', metrics.inFlight), ...body, async (req, res) => {
    const result = validateBatch(req.body, { defaultCurrency: config.defaultCurrency });
    if (!result.ok) {
      throw new HttpError(400, 'invalid_order', 'the batch is invalid; no order was accepted', {
        errors: result.errors,
      });
    }
    await produce(res, result.orders);
  });
  router.all(['/v1/orders', '/v1/orders/batch'], methodNotAllowed('POST'));
  return router;
}
