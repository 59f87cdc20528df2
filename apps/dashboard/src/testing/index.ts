/**
 * The dashboard's test kit (@salespipeline/dashboard/testing): the app in-process, an SSE reader, sample
 * orders and the headless Chromium's options, for the dashboard's own tests and benchmarks.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createRegistry, listen, loadConfig, type AcceptedOrder } from '@salespipeline/shared';
import { createDashboardApp, type DashboardApp } from '../app.js';
import { dashboardSpec } from '../config.js';

const quiet = () => createLogger('dashboard-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface RunningDashboard extends DashboardApp {
  url: string;
  server: Server;
  registry: ReturnType<typeof createRegistry>;
  stop: () => Promise<void>;
}

/**
 * The app on a free port, its Cassandra client connected. Reads get a budget for a loaded machine;
 * a store a test cuts off still fails at once (connection refused).
 */
export async function startDashboard(env: Record<string, string>): Promise<RunningDashboard> {
  const config = loadConfig(dashboardSpec, {
    DASHBOARD_PORT: '0',
    DASHBOARD_HOST: '127.0.0.1',
    DASHBOARD_QUERY_TIMEOUT_MS: '15000',
    ...env,
  });
  const registry = createRegistry('dashboard');
  const dashboard = createDashboardApp(config, { registry, logger: quiet() });
  await dashboard.cassandra.connect();
  const server = await listen(createHttpServer(dashboard.app), 0, '127.0.0.1');
  return {
    ...dashboard,
    registry,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      dashboard.live.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await dashboard.close();
    },
  };
}

/** An order with fixed lines; grand_total is the exact sum of the lines. */
export function order(
  id: string,
  at: number,
  opts: {
    status?: AcceptedOrder['status'];
    payment?: string;
    lines?: Array<{ sku: string; category: string; price: number; qty: number; discount?: number }>;
  } = {},
): AcceptedOrder {
  const lines = opts.lines ?? [{ sku: 'SKU-A', category: 'Books', price: 10, qty: 1 }];
  const items = lines.map((l, i) => ({
    item_id: `${id}-${i}`,
    sku: l.sku,
    category: l.category,
    price: l.price,
    qty_ordered: l.qty,
    discount_amount: l.discount ?? 0,
  }));
  const cents = items.reduce(
    (s, i) => s + Math.round(i.price * 100) * i.qty_ordered - Math.round(i.discount_amount * 100),
    0,
  );
  return {
    order_id: id,
    created_at: new Date(at).toISOString(),
    status: opts.status ?? 'complete',
    customer_id: 'c1',
    payment_method: opts.payment ?? 'cod',
    currency: 'USD',
    items,
    grand_total: cents / 100,
  };
}

/** Reads an SSE stream and collects its events. */
export class SseReader {
  readonly events: Array<{ event: string; data: unknown; at: number }> = [];
  private readonly controller = new AbortController();
  private done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      const res = await fetch(url, { signal: this.controller.signal, headers: { accept: 'text/event-stream' } });
      if (!res.ok || !res.body) throw new Error(`SSE ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
        }
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });
  }

  of<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data as T);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }
}

/** Sum of a metric's samples on a /metrics page whose labels include `labels`. */
export async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const rest = line.slice(name.length);
    if (!line.startsWith(name) || !(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** The Debian Chromium, launched by playwright-core (no browser is ever downloaded). */
export const chromiumOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};
