import { setTimeout } from 'node:timers/promises';

/** Polls `probe` until it returns something other than undefined or false, and returns that. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {},
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (err) {
      lastError = err;
    }
    await setTimeout(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Waits until `GET {baseUrl}{path}` answers 200: a server listening (/healthz) or ready to serve (/readyz). */
export async function waitReady(
  baseUrl: string,
  opts: { path?: '/readyz' | '/healthz'; what?: string; timeoutMs?: number } = {},
): Promise<void> {
  const { path = '/readyz', timeoutMs = 30_000 } = opts;
  await waitFor(async () => (await fetch(`${baseUrl}${path}`)).status === 200, {
    what: opts.what ?? `${baseUrl}${path} answering 200`,
    timeoutMs,
  });
}
