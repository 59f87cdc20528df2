import type { RequestHandler } from 'express';
import type { Gauge, Histogram } from 'prom-client';

/**
 * Observes the request's duration in `histogram` by route and the status it was answered with, and,
 * given `inFlight`, counts it there until its answer is written or its connection closes. One
 * listener: a response emits 'close' after its answer was written ('finish') and when its
 * connection closed first.
 */
export const timed =
  (histogram: Histogram<'route' | 'status'>, route: string, inFlight?: Gauge<'route'>): RequestHandler =>
  (_req, res, next) => {
    const end = histogram.startTimer({ route });
    inFlight?.inc({ route });
    res.once('close', () => {
      inFlight?.dec({ route });
      if (res.writableFinished) end({ status: String(res.statusCode) });
    });
    next();
  };
