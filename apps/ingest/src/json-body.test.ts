import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { errorHandler, createLogger, HttpError } from '@salespipeline/shared';
import { jsonBody, parseJsonBody, plainJsonLength } from './json-body.js';

describe('plainJsonLength', () => {
  const limit = 100;
  it('is the Content-Length of a plain UTF-8 JSON body within the limit', () => {
    expect(plainJsonLength({ 'content-type': 'application/json', 'content-length': '42' }, limit)).toBe(42);
    expect(plainJsonLength({ 'content-type': 'Application/JSON; charset=UTF-8', 'content-length': '0' }, limit)).toBe(
      0,
    );
    expect(plainJsonLength({ 'content-type': 'application/json', 'content-length': '100' }, limit)).toBe(100);
  });
  it('leaves every other request to express.json', () => {
    const plain = { 'content-type': 'application/json', 'content-length': '10' };
    expect(plainJsonLength({ ...plain, 'content-length': '101' }, limit)).toBeUndefined();
    expect(plainJsonLength({ ...plain, 'content-encoding': 'gzip' }, limit)).toBeUndefined();
    expect(plainJsonLength({ ...plain, 'content-encoding': 'identity' }, limit)).toBeUndefined();
    expect(plainJsonLength({ ...plain, 'content-type': 'application/json; charset=utf-16' }, limit)).toBeUndefined();
    expect(plainJsonLength({ ...plain, 'content-type': 'text/plain' }, limit)).toBeUndefined();
    expect(plainJsonLength({ 'content-type': 'application/json' }, limit)).toBeUndefined();
    expect(plainJsonLength({ 'content-length': '10' }, limit)).toBeUndefined();
  });
});

describe('parseJsonBody', () => {
  it('parses any JSON value, an empty body as {}, without a byte order mark', () => {
    expect(parseJsonBody(Buffer.from('{"a":[1,"é"]}'))).toEqual({ a: [1, 'é'] });
    expect(parseJsonBody(Buffer.from('42'))).toBe(42);
    expect(parseJsonBody(Buffer.alloc(0))).toEqual({});
    expect(parseJsonBody(Buffer.from('\ufeff{"a":1}'))).toEqual({ a: 1 });
  });
  it('is a 400 invalid_json with the parser’s message otherwise', () => {
    expect(() => parseJsonBody(Buffer.from('{"a": '))).toThrow(HttpError);
    try {
      parseJsonBody(Buffer.from('{"a": '));
    } catch (err) {
      expect(err).toMatchObject({ status: 400, code: 'invalid_json' });
      expect((err as Error).message).toMatch(/^body is not valid JSON: /);
    }
  });
});

describe('jsonBody', () => {
  const limit = 1024;
  let url = '';
  let close = () => undefined as void;
  beforeAll(async () => {
    // Two routes, the fast reader and express.json as ingest had it: every request must get one answer.
    const app = express();
    const echo: express.RequestHandler = (req, res) => {
      res.json({ body: req.body as unknown });
    };
    const before: express.RequestHandler = (req, _res, next) => {
      if (!req.is('application/json'))
        throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
      next();
    };
    app.post('/fast', jsonBody(limit), echo);
    app.post('/before', before, express.json({ limit, strict: false, type: () => true }), echo);
    app.use(errorHandler({ logger: createLogger('test', 'silent') }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => void server.close();
  });
  afterAll(() => close());

  const answer = async (path: string, body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body, headers });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it.each([
    ['an order', '{"order_id":"a","n":1.5}', {}],
    ['a byte order mark', '\ufeff{"a":1}', {}],
    ['an empty body', '', {}],
    ['a bare value', '"text"', {}],
    ['malformed JSON', '{"order_id": ', {}],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), {}],
    ['a body over the limit', JSON.stringify({ pad: 'x'.repeat(limit) }), {}],
    ['charset utf-8', '{"a":1}', { 'content-type': 'application/json; charset=utf-8' }],
    ['another charset', '{"a":1}', { 'content-type': 'application/json; charset=latin1' }],
    ['another type', '{"a":1}', { 'content-type': 'text/plain' }],
    ['an encoding not applied', '{"a":1}', { 'content-encoding': 'gzip' }],
  ])('answers %s as express.json does', async (_name, body, extra: Record<string, string>) => {
    const headers = { 'content-type': 'application/json', ...extra };
    expect(await answer('/fast', body, headers)).toEqual(await answer('/before', body, headers));
  });
});
