import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { serve } from './server.js';

describe('the express server', () => {
  const app = express();
  app.post('/echo', express.json(), (req, res) => {
    res.status(201).json({ body: req.body, type: req.get('content-type'), sameApp: req.app === app });
  });
  let server: Server;
  let url: string;
  const seen: Array<{ req: object | null; res: object | null }> = [];

  beforeAll(async () => {
    server = await serve(app, 0, '127.0.0.1');
    // Runs before express, which would give the objects its prototypes itself.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ req: Object.getPrototypeOf(req), res: Object.getPrototypeOf(res) });
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('creates requests and responses with the app’s prototypes', async () => {
    seen.length = 0;
    await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.req).toBe(app.request);
    expect(seen[0]!.res).toBe(app.response);
  });

  it('serves express’ requests and responses as usual', async () => {
    const res = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'o-1', lines: [1, 2] }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ body: { id: 'o-1', lines: [1, 2] }, type: 'application/json', sameApp: true });
  });

  it('answers what no route takes with express’ own 404', async () => {
    const res = await fetch(`${url}/nowhere`);
    expect(res.status).toBe(404);
    await res.text();
  });
});
