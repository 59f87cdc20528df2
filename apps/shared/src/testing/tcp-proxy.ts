import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service on 127.0.0.1: cutting it is a test's "service down"
 * without stopping the service itself, which other test files share; hanging it is a network that
 * silently stops delivering (nothing is closed, nothing answers) until it is resumed.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private hung = false;
  /** Sockets whose peer closed while the proxy hung. */
  private readonly orphans = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
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
      this.forward(client, upstream);
      this.forward(upstream, client);
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

  // By hand rather than pipe(): a piped socket resumes by itself when its destination drains.
  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!this.hung) from.resume();
        });
      }
    });
    from.on('end', () => to.end());
    // The peer only learns of a close once the network delivers again.
    from.on('close', () => {
      if (this.hung) this.orphans.add(to);
      else to.destroy();
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
