/**
 * The error tail both apps end their express stack with: 405 and 404 as JSON, the body parser's
 * errors (size, syntax, encoding) as 413/400/415, HttpErrors as they say, anything else a logged 500.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { HttpError, sendError } from './errors.js';

/** A route's other methods: 405 with the Allow header. */
export const methodNotAllowed =
  (...allowed: string[]): RequestHandler =>
  (_req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(new HttpError(405, 'method_not_allowed', `only ${allowed.join(', ')} is allowed here`));
  };

/** Everything no route answered. */
export const notFound =
  (message = 'no such route'): RequestHandler =>
  (_req, _res, next) =>
    next(new HttpError(404, 'not_found', message));

/** The error body-parser passes on: `type` names what went wrong, `limit` is the size limit. */
interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

/** The HttpError an error stands for: itself, or a body parser's 4xx; undefined for an unexpected error. */
export function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const e = (err ?? {}) as BodyParserError;
  switch (e.type) {
    case 'entity.too.large':
      return new HttpError(413, 'too_large', `body larger than ${e.limit} bytes`);
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', `body is not valid JSON: ${e.message ?? ''}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', e.message ?? 'unsupported encoding');
  }
  if (e.status && e.status >= 400 && e.status < 500)
    return new HttpError(e.status, 'invalid_json', e.message ?? 'bad request');
  return undefined;
}

export interface ErrorTailOptions {
  logger: Logger;
  /** Called with the code of every error answered, but the 500s (a metric of rejected requests). */
  onReject?: (code: string) => void;
}

/** The last middleware of an app: writes the error as JSON, or leaves a started response to express. */
export function errorHandler(opts: ErrorTailOptions): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const known = asHttpError(err);
    if (known) {
      opts.onReject?.(known.code);
      return sendError(res, known);
    }
    opts.logger.error({ err }, 'unhandled error');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
}
