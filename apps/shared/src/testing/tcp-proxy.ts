import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';

/** Streams a connection's bytes pass through on their way, each direction optional. */
export interface ConnectionFilters {
  toUpstream?: Duplex;
  toClient?: Duplex;
}

/**
 * A TCP proxy in front of a real service on 127.0.0.1: cutting it is a test's "service down"
 * without stopping the service itself, which other test files share; hanging it is a network that
 * silently stops delivering (nothing is closed, nothing answers) until it is resumed.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private responseDelayMs = 0;
  private hung = false;
  /** Sockets whose peer closed while the proxy hung. */
  private readonly orphans = new Set<Socket>();
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
      const pair = [client, upstream] as const;
      for (const s of pair) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        if (this.hung) s.pause();
      }
      const { toUpstream, toClient } = this.filters();
      this.forward(toUpstream ? client.pipe(toUpstream) : client, client, upstream, () => 0);
      this.forward(toClient ? upstream.pipe(toClient) : upstream, upstream, client, () => this.responseDelayMs);
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

  /**
   * `source`'s bytes, read from `from` (the source itself or a filter behind it), to `to`: by hand
   * rather than pipe(), since a piped socket resumes by itself when its destination drains; each
   * chunk (and the end) no earlier than the delay set when it arrived, in order.
   */
  private forward(from: Readable, source: Socket, to: Socket, delayMs: () => number): void {
    let lastDue = 0;
    const later = (send: () => void) => {
      const due = Math.max(Date.now() + delayMs(), lastDue);
      lastDue = due;
      if (due <= Date.now()) send();
      else setTimeout(() => !to.destroyed && send(), due - Date.now());
    };
    from.on('data', (chunk: Buffer) =>
      later(() => {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (!this.hung) from.resume();
          });
        }
      }),
    );
    from.on('end', () => later(() => to.end()));
    // The peer only learns of a close once the network delivers again. (Behind a filter, the
    // filter's end closes it, after what the filter still holds.)
    source.on('close', () => {
      if (this.hung) this.orphans.add(to);
      else if (from === source) later(() => to.destroy());
    });
  }

  /**
   * Stops forwarding in both directions without closing anything: what is sent waits in the
   * sockets' buffers (as in a network that drops packets), new connections are accepted and wait too.
   */
  hang(): void {
    this.hung = true;
    for (const s of this.sockets) s.pause();
  }

  /** Bytes waiting in the proxy (in either direction) while it hangs: a request is stuck in it. */
  get heldBytes(): number {
    let bytes = 0;
    for (const s of this.sockets) bytes += s.readableLength;
    return bytes;
  }

  /** Delivers what waited and forwards again; a side closed during the hang now closes its peer. */
  resume(): void {
    this.hung = false;
    for (const s of this.orphans) s.destroy();
    this.orphans.clear();
    for (const s of this.sockets) s.resume();
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    this.hung = false;
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
