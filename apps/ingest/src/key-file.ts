/**
 * The API keys, kept current: INGEST_API_KEYS is read once; INGEST_API_KEYS_FILE is read again when
 * it changes. Kubernetes updates a mounted Secret by swapping a symlink (`..data`) in the file's
 * folder, so the folder is watched (not the file, whose inode goes away), with a poll as a fallback
 * where watching is not possible (some volume types). A new key set replaces the old one between two
 * requests, so no request is dropped; a file that does not parse or names no key keeps the old set
 * and is reported (log and metric).
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { ConfigError, type Logger } from '@salespipeline/shared';
import { combinedKeys, readKeyFile, type ApiKey } from './auth.js';

export interface KeySourceOptions {
  apiKeys: string | undefined;
  apiKeysFile: string | undefined;
  /** Poll of the file (the fallback of the watch). */
  pollMs: number;
  /** Whether an empty key set is an error (auth required). */
  required: boolean;
  registry: Registry;
  logger: Logger;
}

export class ApiKeySource {
  private current: readonly ApiKey[];
  private fileText: string | undefined;
  private watcher?: FSWatcher;
  private poll?: NodeJS.Timeout;
  private readonly reloads: Counter<'result'>;

  /** Loads the keys now; a configuration error throws (the process must not start without keys). */
  constructor(private readonly options: KeySourceOptions) {
    this.reloads = new Counter({
      name: 'ingest_api_keys_reloads_total',
      help: 'Reloads of the API key file after it changed, by result (ok, error: the previous keys stay)',
      labelNames: ['result'],
      registers: [options.registry],
    });
    this.fileText = options.apiKeysFile ? readKeyFile(options.apiKeysFile) : undefined;
    this.current = this.parse(this.fileText);
    if (!options.apiKeysFile) return;
    try {
      this.watcher = watch(dirname(options.apiKeysFile), { persistent: false }, () => this.reload());
      this.watcher.on('error', (err) => {
        options.logger.warn({ err: String(err) }, 'watching the API key file failed; polling only');
        this.watcher?.close();
      });
    } catch (err) {
      options.logger.warn({ err: String(err) }, 'cannot watch the API key file; polling only');
    }
    this.poll = setInterval(() => this.reload(), options.pollMs);
    this.poll.unref();
  }

  keys(): readonly ApiKey[] {
    return this.current;
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poll);
  }

  private parse(text: string | undefined): ApiKey[] {
    const keys = combinedKeys(
      this.options.apiKeys,
      this.options.apiKeysFile && text !== undefined ? { path: this.options.apiKeysFile, text } : undefined,
    );
    if (this.options.required && keys.length === 0)
      throw new ConfigError([
        'INGEST_API_KEYS / INGEST_API_KEYS_FILE: no API key configured (set INGEST_AUTH=disabled for local development only)',
      ]);
    return keys;
  }

  /** Reads the file again; a change replaces the keys if it parses. */
  private reload(): void {
    const path = this.options.apiKeysFile!;
    let text: string;
    try {
      text = readKeyFile(path);
    } catch (err) {
      // Mid-swap, or gone: keep the keys; the next event or poll reads it again.
      this.options.logger.debug({ err: String(err) }, 'API key file not readable now');
      return;
    }
    if (text === this.fileText) return;
    this.fileText = text;
    try {
      this.current = this.parse(text);
      this.reloads.inc({ result: 'ok' });
      this.options.logger.info({ keys: this.current.map((k) => k.name) }, 'API keys reloaded');
    } catch (err) {
      this.reloads.inc({ result: 'error' });
      // ConfigError messages never contain a key.
      this.options.logger.error({ err: String(err) }, 'API key file changed but is not usable; the previous keys stay');
    }
  }
}
