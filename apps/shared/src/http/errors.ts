/**
 * The error answers of the apps' HTTP APIs: every 4xx/5xx is JSON {error, message, errors?}, where
 * `error` is a machine-readable code and `errors` lists the problems of the body by field path.
 */
import type { Response } from 'express';

/** One problem of a request body, at a JSON pointer into it (`index`: the order within a batch). */
export interface FieldProblem {
  index?: number;
  path: string;
  message: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  errors?: readonly FieldProblem[];
}

/**
 * Thrown by a route (or passed to next) to answer `status` with an ErrorBody; the error tail
 * (tail.ts) writes it, so every error answer of an app goes through one place.
 */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { errors?: readonly FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { error: this.code, message: this.message, ...(this.details.errors ? { errors: this.details.errors } : {}) };
  }
}

export function sendError(res: Response, err: HttpError): void {
  for (const [name, value] of Object.entries(err.details.headers ?? {})) res.setHeader(name, value);
  res.status(err.status).json(err.body);
}
