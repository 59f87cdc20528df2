import type { Express } from 'express';
import { createOpsHandler, type OpsOptions } from '../ops.js';

/**
 * The head of both apps' express stack: no X-Powered-By, no ETags (the answers are live data), and
 * the ops endpoints (/healthz /readyz /metrics, or the `paths` chosen) before every route.
 */
export function withOps(app: Express, ops: OpsOptions): Express {
  app.disable('x-powered-by');
  app.set('etag', false);
  const handle = createOpsHandler(ops);
  app.use((req, res, next) => {
    if (!handle(req, res)) next();
  });
  return app;
}
