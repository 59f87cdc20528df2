/** Readiness of an external data service (spec.*.external): does one of its addresses accept a connection? */
import { connect } from 'node:net';

export type ProbeResult = { ok: true; address: string } | { ok: false; error: string };
export type Probe = (addresses: string[]) => Promise<ProbeResult>;

function connectOnce(address: string, timeoutMs: number): Promise<void> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer in ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

/** TCP connect to each host:port in turn; the first that accepts makes the service reachable. */
export const probeTcp =
  (timeoutMs = 3_000): Probe =>
  async (addresses) => {
    const errors: string[] = [];
    for (const address of addresses) {
      try {
        await connectOnce(address, timeoutMs);
        return { ok: true, address };
      } catch (err) {
        errors.push(`${address}: ${(err as Error | undefined)?.message ?? String(err)}`);
      }
    }
    return { ok: false, error: errors.join('; ') };
  };
