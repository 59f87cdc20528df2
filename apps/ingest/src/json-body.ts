/**
 * The JSON body of an order request into req.body. The usual request (Content-Type application/json,
 * UTF-8, a Content-Length within the limit, no Content-Encoding) is read and parsed here, which costs
 * a fraction of express.json's type, charset and stream machinery; every other request (compressed,
 * another charset or type, chunked, too large, no body) goes through the 415 check and express.json
 * as before, so their answers do not change. Both parse alike: an empty body is {}, a UTF-8 byte order
 * mark is dropped, any JSON value is taken (the validator answers what is not an object).
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { HttpError } from '@salespipeline/shared';

const plainJsonTypes = new Set(['application/json', 'application/json; charset=utf-8']);

/** The Content-Length of a request the fast path reads, or undefined when express.json must read it. */
export function plainJsonLength(headers: Request['headers'], limit: number): number | undefined {
  const type = headers['content-type'];
  const length = headers['content-length'];
  if (type === undefined || length === undefined || headers['content-encoding'] !== undefined) return undefined;
  if (!plainJsonTypes.has(type.toLowerCase())) return undefined;
  const bytes = Number(length);
  return bytes <= limit ? bytes : undefined;
}

/** The body's JSON value, as express.json({strict: false}) parses it; an HttpError 400 if it is none. */
export function parseJsonBody(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

const jsonOnly: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json'))
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  next();
};

/** Middleware: req.body from a JSON body of at most `limit` bytes, or the error for the tail. */
export function jsonBody(limit: number): RequestHandler {
  const parser = express.json({ limit, strict: false, type: () => true });
  const general: RequestHandler = (req, res, next) =>
    jsonOnly(req, res, (err?: unknown) => (err ? next(err) : parser(req, res, next)));
  return (req: Request, res: Response, next: NextFunction) => {
    const length = plainJsonLength(req.headers, limit);
    if (length === undefined) return general(req, res, next);
    // A small body usually arrives in one chunk: parsed as it is, without a copy.
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.once('error', () => next(new HttpError(400, 'invalid_json', 'request aborted')));
    req.once('end', () => {
      try {
        req.body = parseJsonBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
      } catch (err) {
        return next(err);
      }
      next();
    });
  };
}
