import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { probeTcp } from './probe.js';

let server: Server;
let open: string;
let closed: string;

beforeAll(async () => {
  server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  closed = `127.0.0.1:${(spare.address() as { port: number }).port}`;
  await new Promise((r) => spare.close(r));
});
afterAll(() => new Promise((r) => server.close(r)));

describe('probe of an external service', () => {
  it('is ok at the first address that accepts a connection', async () => {
    expect(await probeTcp()([closed, open])).toEqual({ ok: true, address: open });
  });
  it('names every address that refused', async () => {
    const r = await probeTcp()([closed]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(`${closed}: connect ECONNREFUSED`);
  });
});
