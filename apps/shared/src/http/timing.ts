import type { RequestHandler } from 'express';
import type { Histogram } from 'prom-client';

/** Observes the request's duration in `histogram` by route and the status it was answered with. */
export const timed =
  (histogram: Histogram<'route' | 'status'>, route: string): RequestHandler =>
  (_req, res, next) => {
    const end = histogram.startTimer({ route });
    res.once('finish', () => end({ status: String(res.statusCode) }));
    next();
  };
