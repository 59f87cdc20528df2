import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger } from '../logger.js';
import { listen } from '../ops.js';
import { HttpError } from './errors.js';
import { errorHandler, methodNotAllowed, notFound } from './tail.js';

describe('the shared error tail', () => {
  const rejected: string[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.post('/echo', express.json({ limit: 64 }), (req, res) => {
      res.json(req.body);
    });
    app.post('/invalid', () => {
      throw new HttpError(400, 'invalid_order', 'the order is invalid', {
        errors: [{ index: 1, path: '/status', message: 'must be one of complete, canceled' }],
      });
    });
    app.post('/busy', async () => {
      await Promise.resolve();
      throw new HttpError(503, 'unavailable', 'try later', { headers: { 'Retry-After': '2' } });
    });
    app.get('/bug', () => {
      throw new Error('a bug');
    });
    app.all('/echo', methodNotAllowed('POST'));
    app.use(
      notFound(),
      errorHandler({ logger: createLogger('test', 'silent'), onReject: (code) => rejected.push(code) }),
    );
    server = await listen(createServer(app), 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
  };
  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers an HttpError with its status, code, message, field paths and headers', async () => {
    expect(await postJson('/invalid', '{}')).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_order',
        message: 'the order is invalid',
        errors: [{ index: 1, path: '/status', message: 'must be one of complete, canceled' }],
      },
    });
    const busy = await postJson('/busy', '{}');
    expect(busy).toMatchObject({ status: 503, body: { error: 'unavailable', message: 'try later' } });
    expect(busy.headers.get('retry-after')).toBe('2');
  });

  it('turns the body parser’s errors into 413, 400 and 415', async () => {
    expect(await postJson('/echo', JSON.stringify({ pad: 'x'.repeat(100) }))).toMatchObject({
      status: 413,
      body: { error: 'too_large', message: 'body larger than 64 bytes' },
    });
    expect(await postJson('/echo', '{"a":')).toMatchObject({
      status: 400,
      body: { error: 'invalid_json', message: expect.stringMatching(/^body is not valid JSON: /) },
    });
    expect(await postJson('/echo', '{}', { 'content-encoding': 'br2' })).toMatchObject({
      status: 415,
      body: { error: 'unsupported_media_type' },
    });
  });

  it('answers other methods of a route 405 with Allow, and unknown routes 404', async () => {
    const wrongMethod = await call('/echo');
    expect(wrongMethod).toMatchObject({
      status: 405,
      body: { error: 'method_not_allowed', message: 'only POST is allowed here' },
    });
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await call('/nowhere')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such route' },
    });
  });

  it('answers an unexpected error 500 without its message, and counts every error answer but the 500s', async () => {
    rejected.length = 0;
    expect(await call('/bug')).toEqual(
      expect.objectContaining({ status: 500, body: { error: 'internal', message: 'internal error' } }),
    );
    await call('/nowhere');
    await postJson('/echo', '{"a":');
    expect(rejected).toEqual(['not_found', 'invalid_json']);
  });
});
