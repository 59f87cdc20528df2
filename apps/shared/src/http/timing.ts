import type { RequestHandler } from 'express';
import type { Gauge, Histogram } from 'prom-client';

/**
 * Observes the request's duration in `histogram` by route and the status it was answered with, and,
 * given `inFlight`, counts it there until its answer is written or its connection closes.
 */
export const timed =
  (histogram: Histogram<'route' | 'status'>, route: string, inFlight?: Gauge<'route'>): RequestHandler =>
  (_req, res, next) => {
    const end = histogram.startTimer({ route });
    inFlight?.inc({ route });
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      inFlight?.dec({ route });
    };
    res.once('finish', () => {
      settle();
      end({ status: String(res.statusCode) });
    });
    res.once('close', settle);
    next();
  };
