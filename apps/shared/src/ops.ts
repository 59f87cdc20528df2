import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { withTimeout } from './timeout.js';

/** A readiness check: resolves when the dependency is usable, rejects with the reason otherwise. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface OpsOptions {
  registry: Registry;
  checks: ReadinessCheck[];
  logger: Logger;
  /** Liveness: false once the process can no longer do its work (e.g. a dead consumer). */
  alive?: () => boolean;
  checkTimeoutMs?: number;
  /** The endpoints served (default: all three). */
  paths?: ReadonlyArray<'/healthz' | '/readyz' | '/metrics'>;
}

export async function runChecks(checks: ReadinessCheck[], timeoutMs: number): Promise<Record<string, string>> {
  const results = await Promise.allSettled(
    checks.map((c) => withTimeout(c.check(), timeoutMs, () => new Error(`${c.name} timed out after ${timeoutMs} ms`))),
  );
  return Object.fromEntries(
    checks.map((c, i) => {
      const r = results[i]!;
      return [c.name, r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message];
    }),
  );
}

/**
 * Serves /healthz, /readyz and /metrics. Returns true when it answered the request, so an express
 * app can mount it in front of its own routes and a bare process can use it as its whole server.
 */
export function createOpsHandler(opts: OpsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0];
    if (opts.paths && !(opts.paths as readonly string[]).includes(path ?? '')) return false;
    switch (path) {
      case '/healthz': {
        const alive = opts.alive?.() ?? true;
        json(res, alive ? 200 : 503, { status: alive ? 'ok' : 'failing' });
        return true;
      }
      case '/readyz':
        runChecks(opts.checks, timeoutMs).then(
          (checks) => {
            const ready = Object.values(checks).every((v) => v === 'ok');
            if (!ready) opts.logger.warn({ checks }, 'not ready');
            json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
          },
          (err: unknown) => json(res, 500, { status: 'error', error: String(err) }),
        );
        return true;
      case '/metrics':
        opts.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
          (err: unknown) => json(res, 500, { error: String(err) }),
        );
        return true;
      default:
        return false;
    }
  };
}

export function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops accepting and resolves once the open requests are answered; `connections` closes the idle
 * keep-alive ones, or all (long-lived streams never end by themselves), at once.
 */
export function closeServer(server: Server, connections?: 'idle' | 'all'): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if (connections === 'all') server.closeAllConnections();
    else if (connections === 'idle') server.closeIdleConnections();
  });
}

/** A server with only the ops endpoints, for processes that have no HTTP API of their own. */
export function startOpsServer(opts: OpsOptions & { port: number; host: string }): Promise<Server> {
  const handle = createOpsHandler(opts);
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  return listen(server, opts.port, opts.host);
}
