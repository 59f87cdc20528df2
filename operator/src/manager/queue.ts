/**
 * A controller work queue, as client-go's: a key is queued at most once, never processed by two
 * workers at once (re-added while in flight → processed again after), retried with per-key
 * exponential backoff, and handed out no faster than a global token bucket allows.
 */
import { TokenBucket } from '@salespipeline/shared';

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Global rate limit: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
}

export interface QueueHooks {
  onAdd?: () => void;
  onRetry?: () => void;
  onDepth?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly rateLimit: TokenBucket;
  private readonly opts: Required<QueueOptions>;

  constructor(
    opts: QueueOptions = {},
    private readonly hooks: QueueHooks = {},
  ) {
    this.opts = { baseDelayMs: 100, maxDelayMs: 60_000, qps: 50, burst: 200, ...opts };
    this.rateLimit = new TokenBucket(this.opts.qps, this.opts.burst);
  }

  /** Queues a key now (deduplicated). */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.hooks.onAdd?.();
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    this.hooks.onDepth?.(this.queue.length);
  }

  /** Queues a key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Retries a failed key with exponential backoff: base·2^failures, capped. Returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** n);
    this.hooks.onRetry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears a key's failure count (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process (waits for one and for a rate-limit token); undefined once shut down. */
  async get(): Promise<string | undefined> {
    await this.takeToken();
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.hooks.onDepth?.(this.queue.length);
      return key;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key processed; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private async takeToken(): Promise<void> {
    for (;;) {
      const waitSeconds = this.rateLimit.take(Date.now());
      if (waitSeconds === 0 || this.shuttingDown) return;
      // The global setTimeout, not node:timers/promises: jest's fake timers replace only the former.
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitSeconds * 1000)));
    }
  }
}
