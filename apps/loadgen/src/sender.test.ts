import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { OrderGenerator } from './generate.js';
import { runLoad, type LoadOptions } from './sender.js';

jest.setTimeout(30_000);

describe('runLoad against a server that accepts everything', () => {
  let server: Server;
  let target: string;
  /** Milliseconds the server holds each answer. */
  let holdMs = 0;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        type Order = { order_id: string };
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { orders: Order[] } | Order;
        received.push(...('orders' in body ? body.orders : [body]).map((o) => o.order_id));
        setTimeout(() => res.writeHead(202).end('{}'), holdMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const load = (prefix: string, opts: Partial<LoadOptions>) => {
    const generator = new OrderGenerator(3, prefix);
    return runLoad({
      target,
      rate: 1000,
      durationSeconds: 0.2,
      batchSize: 10,
      concurrency: 4,
      source: () => generator.next(),
      ...opts,
    });
  };

  it('returns the accepted ids only when asked to keep them', async () => {
    holdMs = 0;
    const kept = await load('kept-', { keepAcceptedIds: true });
    expect(kept.totals.accepted).toBe(kept.totals.sent);
    expect(kept.acceptedIds.length).toBe(kept.totals.accepted);
    expect(new Set(kept.acceptedIds)).toEqual(new Set(received.filter((id) => id.startsWith('kept-'))));
    const notKept = await load('not-kept-', {});
    expect(notKept.totals.accepted).toBeGreaterThan(0);
    expect(notKept.acceptedIds).toEqual([]);
  });

  it('starts the next request when a slot frees, with every slot busy and no report due', async () => {
    holdMs = 30;
    const result = await load('busy-', { rate: 200, durationSeconds: 1, batchSize: 1, concurrency: 1 });
    holdMs = 0;
    expect(result.totals.sent + result.totals.behind).toBe(200);
    expect(result.totals.accepted).toBe(result.totals.sent);
    expect(result.totals.requests).toBeGreaterThan(1);
  });

  it('stops when aborted while waiting for an order that falls due far ahead', async () => {
    const abort = new AbortController();
    const run = load('aborted-', { rate: 0.01, durationSeconds: 0, batchSize: 1, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    const result = await run;
    expect(result.totals.sent).toBe(0);
  });
});
