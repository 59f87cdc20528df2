import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Gauge, Histogram, Registry } from 'prom-client';
import { listen } from '../ops.js';
import { timed } from './timing.js';

describe('timed', () => {
  const registers = [new Registry()];
  const duration = new Histogram({ name: 'd', help: 'd', labelNames: ['route', 'status'], registers });
  const inFlight = new Gauge({ name: 'f', help: 'f', labelNames: ['route'], registers });
  let release = () => {};
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.post('/slow', timed(duration, 'slow', inFlight), (_req, res) => {
      release = () => res.status(202).end();
    });
    server = await listen(createServer(app), 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const gauge = async () => (await inFlight.get()).values.find((v) => v.labels.route === 'slow')?.value ?? 0;
  const count = async (status: string) =>
    (await duration.get()).values.find(
      (v) => v.metricName === 'd_count' && v.labels.route === 'slow' && v.labels.status === status,
    )?.value ?? 0;
  const until = async (check: () => Promise<boolean>) => {
    while (!(await check())) await new Promise((r) => setTimeout(r, 5));
  };

  it('counts a request in flight until it is answered, then observes its duration by status', async () => {
    const answered = fetch(`${url}/slow`, { method: 'POST' });
    await until(async () => (await gauge()) === 1);
    expect(await count('202')).toBe(0);
    release();
    expect((await answered).status).toBe(202);
    await until(async () => (await count('202')) === 1);
    expect(await gauge()).toBe(0);
  });

  it('stops counting a request whose client went away before the answer', async () => {
    const req = request(`${url}/slow`, { method: 'POST' });
    req.on('error', () => undefined);
    req.end();
    await until(async () => (await gauge()) === 1);
    req.destroy();
    await until(async () => (await gauge()) === 0);
    release();
    expect(await gauge()).toBe(0);
  });
});
