import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';

/** Streams a connection's bytes pass through on their way, each direction optional. */
export interface ConnectionFilters {
  toUpstream?: Duplex;
  toClient?: Duplex;
}

/**
 * A TCP proxy in front of a real service on 127.0.0.1: cutting it is a test's "service down"
 * without stopping the service itself, which other test files share.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private responseDelayMs = 0;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    /** Called per connection: what to change in its traffic (e.g. swallow some replies). */
    private readonly filters: () => ConnectionFilters = () => ({}),
  ) {}

  /** Listens on `port` (0: any free port) and returns the port. */
  async start(port = this.port): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const { toUpstream, toClient } = this.filters();
      (toUpstream ? client.pipe(toUpstream) : client).pipe(upstream);
      this.forwardResponses(toClient ? upstream.pipe(toClient) : upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    return this.port;
  }

  /**
   * Holds every byte from the service for `ms` before passing it on (0: at once), in order, on open
   * and new connections; requests still go through at once. A slow or far-away service, as the client sees it.
   */
  delayResponses(ms: number): void {
    this.responseDelayMs = ms;
  }

  /** Service → client, each chunk (and the end) no earlier than the delay set when it arrived. */
  private forwardResponses(upstream: Readable, client: Socket): void {
    let lastDue = 0;
    const later = (send: () => void) => {
      const due = Math.max(Date.now() + this.responseDelayMs, lastDue);
      lastDue = due;
      if (due <= Date.now()) send();
      else setTimeout(() => !client.destroyed && send(), due - Date.now());
    };
    upstream.on('data', (chunk: Buffer) => later(() => client.write(chunk)));
    upstream.on('end', () => later(() => client.end()));
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Accepts connections again on the same port. */
  async restore(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }
}
