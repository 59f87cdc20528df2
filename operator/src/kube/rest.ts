/**
 * A small typed REST client for the kube-apiserver: credentials and TLS from a kubeconfig or the
 * service account (config.ts), requests over plain node:https so the operator controls
 * content types (server-side apply), timeouts and the watch stream (silence detection) exactly.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}
export const isNotFound = (err: unknown) => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown) => err instanceof KubeApiError && err.status === 409;

export interface RequestOpts {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class KubeRest {
  readonly server: URL;
  private agent: Agent | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('KubeRest: the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /**
   * TLS material and credentials as client-node applies them. Applied per request, so a rotated
   * service-account token or an exec plugin's fresh token is picked up; the keep-alive agent is ours.
   */
  private async baseOptions(): Promise<RequestOptions> {
    const applied: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(applied);
    this.agent ??= new Agent({
      ca: applied.ca,
      cert: applied.cert,
      key: applied.key,
      servername: applied.servername,
      ...(applied.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: applied.rejectUnauthorized }),
      keepAlive: true,
      maxSockets: 64,
    });
    return { agent: this.agent, headers: applied.headers ?? {}, ...(applied.auth ? { auth: applied.auth } : {}) };
  }

  private url(path: string, query?: RequestOpts['query']): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async open(method: string, path: string, opts: RequestOpts) {
    const url = this.url(path, opts.query);
    const base = await this.baseOptions();
    const payload =
      opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string> | undefined),
      accept: 'application/json',
      ...(payload !== undefined
        ? {
            'content-type': opts.contentType ?? 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          }
        : {}),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { ...base, method, headers, signal: opts.signal }, resolve);
      req.on('error', reject);
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(payload);
    });
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    const res = await this.open(method, path, { timeoutMs: 30_000, ...opts });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      let reason = 'Unknown';
      let message = text.slice(0, 2000);
      try {
        const parsed = JSON.parse(text) as { reason?: string; message?: string };
        reason = parsed.reason ?? reason;
        message = parsed.message ?? message;
      } catch {
        // not a Status object
      }
      throw new KubeApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Streams a watch: calls onEvent per event until the server ends the stream, the signal aborts,
   * or the connection fails (rejects). An HTTP error status rejects with KubeApiError.
   */
  async watch<T>(path: string, query: RequestOpts['query'], onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal) {
    const res = await this.open('GET', path, { query: { ...query, watch: true }, signal });
    if ((res.statusCode ?? 0) >= 400) {
      res.resume();
      throw new KubeApiError(res.statusCode ?? 0, 'WatchFailed', `watch ${path}: HTTP ${res.statusCode}`);
    }
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }
}

/** The REST path of a kind's collection (namespace undefined: all namespaces). */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${prefix}/namespaces/${namespace}/${plural}` : `${prefix}/${plural}`;
}

export function objectPath(apiVersion: string, plural: string, namespace: string, name: string): string {
  return `${collectionPath(apiVersion, plural, namespace)}/${encodeURIComponent(name)}`;
}
