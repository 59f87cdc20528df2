/**
 * GET /api/stream: Server-Sent Events of the shared LiveDashboard for one range. A client whose
 * unsent output grows beyond maxBufferedBytes is disconnected (it reconnects); a comment line every
 * heartbeat keeps proxies from closing an idle stream.
 */
import type { RequestHandler } from 'express';
import type { Logger } from '@salespipeline/shared';
import { rangeOf } from './params.js';
import type { LiveDashboard } from './poller.js';

export interface StreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
}

export function streamRoute(live: LiveDashboard, opts: StreamOptions, logger: Logger): RequestHandler {
  return (req, res) => {
    const range = rangeOf(req);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write('retry: 2000\n\n');
    const write = (frame: string) => {
      if (res.writableLength > opts.maxBufferedBytes) {
        logger.warn({ buffered: res.writableLength }, 'slow SSE client dropped');
        res.destroy();
        return;
      }
      res.write(frame);
    };
    const unsubscribe = live.subscribe({ range, write });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    req.once('close', stop);
    res.once('close', stop);
  };
}
