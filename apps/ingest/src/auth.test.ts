import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@salespipeline/shared';
import { apiScopes, connectionKeyMatcher, loadApiKeys, matchApiKey, parseApiKeys, RateLimiter } from './auth.js';

describe('API keys', () => {
  const keys = parseApiKeys('alpha:aaaaaaaaaaaaaaaaaaaa, beta:bbbbbbbbbbbbbbbbbbbbbbbb');

  it('matches a configured key to its name, anything else to nothing, whatever its length', () => {
    expect(matchApiKey(keys, 'aaaaaaaaaaaaaaaaaaaa')?.name).toBe('alpha');
    expect(matchApiKey(keys, 'bbbbbbbbbbbbbbbbbbbbbbbb')?.name).toBe('beta');
    // Prefixes, extensions, empty and huge keys are rejected without throwing (digests have one length).
    for (const wrong of ['', 'a', 'aaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaa', 'x'.repeat(100_000), 'é\u0000']) {
      expect(matchApiKey(keys, wrong)).toBeUndefined();
    }
    expect(matchApiKey([], 'aaaaaaaaaaaaaaaaaaaa')).toBeUndefined();
  });

  it('remembers a match per connection only while the same key list is in force', () => {
    const match = connectionKeyMatcher();
    const [one, two] = [{}, {}];
    expect(match(one, keys, 'aaaaaaaaaaaaaaaaaaaa')?.name).toBe('alpha');
    expect(match(one, keys, 'aaaaaaaaaaaaaaaaaaaa')?.name).toBe('alpha');
    // Another key on the same connection is checked, a wrong one rejected (and nothing kept).
    expect(match(one, keys, 'bbbbbbbbbbbbbbbbbbbbbbbb')?.name).toBe('beta');
    expect(match(one, keys, 'aaaaaaaaaaaaaaaaaaab')).toBeUndefined();
    expect(match(one, keys, 'bbbbbbbbbbbbbbbbbbbbbbbb')?.name).toBe('beta');
    expect(match(two, keys, 'x'.repeat(20))).toBeUndefined();
    // A reload without the key (a rotation) rejects it on the connection that used it.
    const rotated = parseApiKeys('alpha:cccccccccccccccccccc');
    expect(match(one, rotated, 'bbbbbbbbbbbbbbbbbbbbbbbb')).toBeUndefined();
    expect(match(one, rotated, 'cccccccccccccccccccc')?.name).toBe('alpha');
  });

  it('keeps only digests, and never puts a key in a configuration error', () => {
    expect(JSON.stringify(keys.map((k) => ({ ...k, scopes: [...k.scopes] })))).not.toContain('aaaa');
    expect(keys.map((k) => k.digest.length)).toEqual([32, 32]);
    for (const bad of ['nocolon-secret-value-123', 'short:tooShortKey', ':missingname-secret-value']) {
      let error: unknown;
      try {
        parseApiKeys(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('secret-value');
      expect((error as Error).message).not.toContain('tooShortKey');
    }
  });

  it('gives an entry without scopes every scope, and one with scopes only those', () => {
    const scoped = parseApiKeys(
      'legacy:llllllllllllllllllll\nreader:rrrrrrrrrrrrrrrrrrrr:orders:read\n' +
        'both:b:with:colons-bbbbbbbbbbbb:orders:write,orders:read, writer:wwwwwwwwwwwwwwwwwwww:orders:write',
    );
    const scopesOf = (key: string) => [...(matchApiKey(scoped, key)?.scopes ?? [])].sort();
    expect(scoped.map((k) => k.name)).toEqual(['legacy', 'reader', 'both', 'writer']);
    expect(scopesOf('llllllllllllllllllll')).toEqual([...apiScopes].sort());
    expect(scopesOf('rrrrrrrrrrrrrrrrrrrr')).toEqual(['orders:read']);
    expect(scopesOf('b:with:colons-bbbbbbbbbbbb')).toEqual(['orders:read', 'orders:write']);
    expect(scopesOf('wwwwwwwwwwwwwwwwwwww')).toEqual(['orders:write']);
  });

  it('refuses unknown scopes and scopes without an entry, naming the entry', () => {
    expect(() => parseApiKeys('x:xxxxxxxxxxxxxxxxxxxx:orders:delete')).toThrow(/entry #1: unknown scope orders:delete/);
    expect(() => parseApiKeys('legacy:llllllllllllllllllll,orders:read')).toThrow(
      /entry #2: scope orders:read follows no name:key:scope entry/,
    );
  });

  it('reads a mounted Secret file (one pair per line) together with the variable', () => {
    const dir = mkdtempSync(`${tmpdir()}/sp-keys-`);
    try {
      writeFileSync(`${dir}/keys`, 'file1:ffffffffffffffffffff\nfile2:gggggggggggggggggggg\n');
      const loaded = loadApiKeys({ apiKeys: 'env:eeeeeeeeeeeeeeeeeeee', apiKeysFile: `${dir}/keys` });
      expect(loaded.map((k) => k.name)).toEqual(['env', 'file1', 'file2']);
      expect(matchApiKey(loaded, 'gggggggggggggggggggg')?.name).toBe('file2');
      expect(() => loadApiKeys({ apiKeys: undefined, apiKeysFile: `${dir}/missing` })).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RateLimiter (token bucket)', () => {
  it('lets a burst through, then the rate, and says how long to wait', () => {
    const limiter = new RateLimiter(10, 3);
    const t = 1000;
    expect([0, 1, 2].map(() => limiter.take('a', t))).toEqual([0, 0, 0]);
    expect(limiter.take('a', t)).toBeCloseTo(0.1);
    expect(limiter.take('b', t)).toBe(0); // clients are independent
    expect(limiter.take('a', t + 100)).toBe(0); // 100 ms = one token at 10/s
    expect(limiter.take('a', t + 100)).toBeGreaterThan(0);
    expect([0, 1, 2, 3].map(() => limiter.take('a', t + 10_000))).toEqual([0, 0, 0, expect.any(Number)]);
  });
});
