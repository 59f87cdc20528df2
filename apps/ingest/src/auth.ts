/**
 * Client authentication and rate limiting of the ingest API.
 *
 * Keys come from INGEST_API_KEYS (`name:key,name:key`) or a mounted Secret file INGEST_API_KEYS_FILE
 * (same pairs, separated by commas or new lines). A request presents one as `Authorization: Bearer
 * <key>` or `X-API-Key: <key>`. Keys are compared as SHA-256 digests with crypto.timingSafeEqual,
 * against every configured key without an early exit, so neither the length nor the content of a key
 * leaks through the time of a comparison. Failures get one fixed 401 body, whatever went wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { ConfigError } from '@salespipeline/shared';

export interface ApiKey {
  name: string;
  digest: Buffer;
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** Parses `name:key` pairs (commas or new lines between them); never echoes a key in an error. */
export function parseApiKeys(text: string, source = 'INGEST_API_KEYS'): ApiKey[] {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((pair, i) => {
      const colon = pair.indexOf(':');
      const name = colon > 0 ? pair.slice(0, colon).trim() : '';
      const key = colon > 0 ? pair.slice(colon + 1).trim() : '';
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name) || key.length < 16) {
        problems.push(
          `${source}: key #${i + 1}: must be name:key with a name of [A-Za-z0-9._-] and a key of 16+ characters`,
        );
        return;
      }
      keys.push({ name, digest: digest(key) });
    });
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}

/** The keys the configuration names (the variable and the file together), or none. */
export function loadApiKeys(config: { apiKeys: string | undefined; apiKeysFile: string | undefined }): ApiKey[] {
  const keys = config.apiKeys ? parseApiKeys(config.apiKeys) : [];
  if (config.apiKeysFile) {
    let text: string;
    try {
      text = readFileSync(config.apiKeysFile, 'utf8');
    } catch (err) {
      throw new ConfigError([`INGEST_API_KEYS_FILE: cannot read ${config.apiKeysFile}: ${(err as Error).message}`]);
    }
    keys.push(...parseApiKeys(text, `INGEST_API_KEYS_FILE (${config.apiKeysFile})`));
  }
  return keys;
}

/** The name of the key that matches, or undefined; constant time in the presented key. */
export function matchApiKey(keys: readonly ApiKey[], presented: string): string | undefined {
  const candidate = digest(presented);
  let match: string | undefined;
  for (const key of keys) {
    if (timingSafeEqual(candidate, key.digest) && match === undefined) match = key.name;
  }
  return match;
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

/** Token buckets per client: `ratePerSecond` tokens a second, at most `burst` saved up. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

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
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(client, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.ratePerSecond;
  }
}

export interface AuthOptions {
  /** Empty with auth disabled. */
  keys: readonly ApiKey[];
  required: boolean;
  /** Requests per second per key (per client address without auth); 0: no limit. */
  ratePerSecond: number;
  burst: number;
  onReject: (reason: 'unauthorized' | 'rate_limited') => void;
}

/** Express middleware: 401 without a valid key, 429 + Retry-After past the rate; sets res.locals.client. */
export function authenticate(opts: AuthOptions) {
  const limiter = opts.ratePerSecond > 0 ? new RateLimiter(opts.ratePerSecond, opts.burst) : undefined;
  const unauthorized = JSON.stringify({ error: 'unauthorized', message: 'a valid API key is required' });
  return (req: Request, res: Response, next: NextFunction) => {
    let client: string;
    if (opts.required) {
      const key = presentedKey(req);
      const name = key === undefined ? undefined : matchApiKey(opts.keys, key);
      if (name === undefined) {
        opts.onReject('unauthorized');
        // Failed attempts are limited per address too, so keys cannot be guessed at full speed.
        const wait = limiter?.take(`addr:${req.socket.remoteAddress ?? ''}`) ?? 0;
        res.setHeader('WWW-Authenticate', 'Bearer realm="salespipeline-ingest"');
        if (wait > 0) res.setHeader('Retry-After', String(Math.ceil(wait)));
        res.status(401).type('application/json').send(unauthorized);
        return;
      }
      client = `key:${name}`;
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
