import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Express } from 'express';
import { listen } from '../ops.js';

/**
 * A constructor that builds what `base` builds, born with `prototype` (which inherits from
 * base.prototype) instead of base.prototype. Node's IncomingMessage(socket) and
 * ServerResponse(req, options) are plain constructor functions, called here on the new object as
 * their own subclasses call them (Reflect.construct with a new.target does the same but measured
 * slower than express' prototype change it saves).
 */
function bornWith<C extends typeof IncomingMessage | typeof ServerResponse>(base: C, prototype: object): C {
  const init = base as unknown as (this: object, first: unknown, second: unknown) => void;
  function Born(this: object, first: unknown, second: unknown): void {
    init.call(this, first, second);
  }
  Born.prototype = prototype;
  return Born as unknown as C;
}

/**
 * An HTTP server for an express app whose requests and responses are created with the app's
 * prototypes. Express gives every request and response the app's prototypes as it dispatches
 * them (Object.setPrototypeOf); done to objects node built as plain IncomingMessages and
 * ServerResponses, that is a change of hidden class per object, and the inline caches of every
 * function that then reads them (node's http and stream code, express', ours) keep missing:
 * flat out it was about half of the ingest's CPU. Born with those prototypes, express' change
 * is a no-op and the objects keep one hidden class.
 */
export function expressServer(app: Express): Server {
  return createServer(
    {
      IncomingMessage: bornWith(IncomingMessage, app.request),
      ServerResponse: bornWith(ServerResponse, app.response),
    },
    app,
  );
}

/** The app's HTTP server, listening; keep-alive outlasts a load balancer's 60 s idle timeout. */
export function serve(app: Express, port: number, host: string): Promise<Server> {
  const server = expressServer(app);
  server.keepAliveTimeout = 65_000;
  return listen(server, port, host);
}
