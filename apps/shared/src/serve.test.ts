import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { serve } from './http/server.js';
import { closeServer } from './ops.js';

const get = (port: number, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });

describe('serve and closeServer', () => {
  it('serves the app with a keep-alive longer than 60 s, and closes with a stream still open', async () => {
    const app = express();
    app.get('/stream', (_req, res) => {
      res.writeHead(200).write('open');
    });
    app.get('/', (_req, res) => {
      res.end('ok');
    });
    const server = await serve(app, 0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(await get(port, '/')).toEqual({ status: 200, body: 'ok' });
    const opened = new Promise<void>((r) => server.once('request', () => r()));
    const stream = get(port, '/stream');
    await opened;
    await closeServer(server, 'all');
    expect(server.listening).toBe(false);
    expect((await stream).status).toBe(200);
  });
});
