/**
 * Client authentication, scopes and rate limiting of the ingest API.
 *
 * Keys come from INGEST_API_KEYS or a mounted Secret file INGEST_API_KEYS_FILE (reloaded when it
 * changes: key-file.ts). An entry is `name:key` or `name:key:scope[,scope...]`; entries are separated by
 * new lines or commas (a comma followed by a bare scope continues the entry's scope list). An entry
 * without scopes has every scope, as before scopes existed. A request presents a key as
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are compared as SHA-256 digests with
 * crypto.timingSafeEqual, against every configured key without an early exit, so neither the length
 * nor the content of a key leaks through the time of a comparison. Failures get one fixed 401 body,
 * whatever went wrong; a valid key without the route's scope gets 403.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { ConfigError, TokenBucket } from '@salespipeline/shared';

/** What a key may do: `orders:write` posts orders; `orders:read` is for read routes. */
export const apiScopes = ['orders:write', 'orders:read'] as const;
export type ApiScope = (typeof apiScopes)[number];

export interface ApiKey {
  name: string;
  digest: Buffer;
  scopes: ReadonlySet<ApiScope>;
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();
const isScope = (s: string): s is ApiScope => (apiScopes as readonly string[]).includes(s);
/** A trailing `:resource:action` of an entry is its scope list's first scope. */
const scopedEntry = /^(.+?):([a-z]+:[a-z]+)$/s;

/** Parses the entries (see the module comment); never echoes a key in an error. */
export function parseApiKeys(text: string, source = 'INGEST_API_KEYS'): ApiKey[] {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  let last: { key: ApiKey; explicit: boolean } | undefined;
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((piece, i) => {
      const where = `${source}: entry #${i + 1}`;
      if (isScope(piece)) {
        if (last?.explicit) (last.key.scopes as Set<ApiScope>).add(piece);
        else problems.push(`${where}: scope ${piece} follows no name:key:scope entry`);
        return;
      }
      const colon = piece.indexOf(':');
      const name = colon > 0 ? piece.slice(0, colon).trim() : '';
      let key = colon > 0 ? piece.slice(colon + 1).trim() : '';
      let scopes: Set<ApiScope> = new Set(apiScopes);
      const scoped = scopedEntry.exec(key);
      if (scoped) {
        if (!isScope(scoped[2]!)) {
          problems.push(`${where}: unknown scope ${scoped[2]} (known: ${apiScopes.join(', ')})`);
          return;
        }
        key = scoped[1]!;
        scopes = new Set([scoped[2]]);
      }
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name) || key.length < 16) {
        last = undefined;
        problems.push(
          `${where}: must be name:key or name:key:scope with a name of [A-Za-z0-9._-] and a key of 16+ characters`,
        );
        return;
      }
      last = { key: { name, digest: digest(key), scopes }, explicit: scoped !== null };
      keys.push(last.key);
    });
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}

/** Reads the key file, as a configuration error when it cannot. */
export function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`INGEST_API_KEYS_FILE: cannot read ${path}: ${(err as Error).message}`]);
  }
}

/** The keys of the variable and of the file's text together. */
export function combinedKeys(apiKeys: string | undefined, file?: { path: string; text: string }): ApiKey[] {
  return [
    ...(apiKeys ? parseApiKeys(apiKeys) : []),
    ...(file ? parseApiKeys(file.text, `INGEST_API_KEYS_FILE (${file.path})`) : []),
  ];
}

/** The keys the configuration names (the variable and the file together), or none. */
export function loadApiKeys(config: { apiKeys: string | undefined; apiKeysFile: string | undefined }): ApiKey[] {
  return combinedKeys(
    config.apiKeys,
    config.apiKeysFile ? { path: config.apiKeysFile, text: readKeyFile(config.apiKeysFile) } : undefined,
  );
}

/** The key that matches, or undefined; constant time in the presented key. */
export function matchApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const candidate = digest(presented);
  let match: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(candidate, key.digest) && match === undefined) match = key;
  }
  return match;
}

/** What a connection presented last and the key it matched, while the key list is the same. */
interface Verified {
  keys: readonly ApiKey[];
  presented: string;
  key: ApiKey;
}

/**
 * matchApiKey, remembered per connection: a keep-alive client presents the same key on every request,
 * and the SHA-256 and the comparison with every key were most of what auth cost per request. The
 * string remembered is the one this connection itself sent, so comparing with it tells a client
 * nothing about the configured keys; a failed match is never remembered, and a new key list (a
 * reload, a rotation) is checked afresh.
 */
export function connectionKeyMatcher(): (
  connection: object,
  keys: readonly ApiKey[],
  presented: string,
) => ApiKey | undefined {
  const verified = new WeakMap<object, Verified>();
  return (connection, keys, presented) => {
    const last = verified.get(connection);
    if (last !== undefined && last.keys === keys && last.presented === presented) return last.key;
    const key = matchApiKey(keys, presented);
    if (key === undefined) verified.delete(connection);
    else verified.set(connection, { keys, presented, key });
    return key;
  };
}

/** The key a request presents (Bearer token or X-API-Key), or undefined. */
export function presentedKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

/** A token bucket per client: `ratePerSecond` tokens a second, at most `burst` saved up. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxClients = 10_000,
  ) {}

  /** 0 if the request may go, else the seconds until it could. */
  take(client: string, now = performance.now()): number {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      // Bounded memory: forget every client when too many were seen (they start again full).
      if (this.buckets.size >= this.maxClients) this.buckets.clear();
      bucket = new TokenBucket(this.ratePerSecond, this.burst);
      this.buckets.set(client, bucket);
    }
    return bucket.take(now);
  }
}

export interface AuthOptions {
  /** The keys now (they may be reloaded between requests); none with auth disabled. */
  keys: () => readonly ApiKey[];
  required: boolean;
  /** Requests per second per key (per client address without auth); 0: no limit. */
  ratePerSecond: number;
  burst: number;
  onReject: (reason: 'unauthorized' | 'forbidden' | 'rate_limited') => void;
}

/**
 * Express middleware: 401 without a valid key, 429 + Retry-After past the rate; sets res.locals.client
 * and res.locals.scopes (undefined with auth disabled: everything allowed).
 */
export function authenticate(opts: AuthOptions) {
  const limiter = opts.ratePerSecond > 0 ? new RateLimiter(opts.ratePerSecond, opts.burst) : undefined;
  const unauthorized = JSON.stringify({ error: 'unauthorized', message: 'a valid API key is required' });
  const match = connectionKeyMatcher();
  return (req: Request, res: Response, next: NextFunction) => {
    let client: string;
    if (opts.required) {
      const presented = presentedKey(req);
      const key = presented === undefined ? undefined : match(req.socket, opts.keys(), presented);
      if (key === undefined) {
        opts.onReject('unauthorized');
        // Failed attempts are limited per address too, so keys cannot be guessed at full speed.
        const wait = limiter?.take(`addr:${req.socket.remoteAddress ?? ''}`) ?? 0;
        res.setHeader('WWW-Authenticate', 'Bearer realm="salespipeline-ingest"');
        if (wait > 0) res.setHeader('Retry-After', String(Math.ceil(wait)));
        res.status(401).type('application/json').send(unauthorized);
        return;
      }
      client = `key:${key.name}`;
      res.locals.scopes = key.scopes;
      res.locals.keyName = key.name;
    } else {
      client = `addr:${req.socket.remoteAddress ?? ''}`;
    }
    const wait = limiter?.take(client) ?? 0;
    if (wait > 0) {
      opts.onReject('rate_limited');
      res.setHeader('Retry-After', String(Math.ceil(wait)));
      res.status(429).json({ error: 'rate_limited', message: 'too many requests; retry after the Retry-After delay' });
      return;
    }
    res.locals.client = client;
    next();
  };
}

/** Express middleware after authenticate(): 403 for a valid key without `scope`. */
export function requireScope(scope: ApiScope, onReject: AuthOptions['onReject']) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const scopes = res.locals.scopes as ReadonlySet<ApiScope> | undefined;
    if (scopes === undefined || scopes.has(scope)) return next();
    onReject('forbidden');
    res.status(403).json({
      error: 'forbidden',
      message: `the API key ${String(res.locals.keyName)} lacks the scope ${scope}`,
    });
  };
}
