/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
 *
 * - A candidate judges the holder's lease by its own clock: the lease runs out `leaseDurationSeconds`
 *   after the moment this replica last saw the record change (observedTime), never by comparing the
 *   holder's renewTime with the local clock (clocks differ; a delayed response makes renewTime stale).
 * - The leader's term is counted from the START of its last successful renewal attempt: it leads
 *   until that moment + renewDeadline. The renewal was written after that start, and every other
 *   replica saw it after it was written, so none of them takes over before start + leaseDuration,
 *   later than the leader stops (renewDeadline < leaseDuration, checked at start-up).
 * - Every request of an attempt is bounded by the attempt's deadline, not by a fixed timeout.
 * - Updates are optimistic (resourceVersion), so two candidates never both win a record.
 * - A replica whose term ran out waits for its own lease to expire like any candidate, so a replica
 *   whose answers arrive too late cannot keep the lease alive without leading.
 *
 * `isLeader()` is checked before every write.
 */
import type { Logger } from '@salespipeline/shared';
import { KubeClient, type Transport } from '../kube/client.js';
import { resources, type KubeObject } from '../kube/objects.js';
import { isConflict } from '../kube/rest.js';

export interface LeaderTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderOptions extends Partial<LeaderTimings> {
  namespace: string;
  name: string;
  identity: string;
}

/** A term of leadership, in this process's monotonic milliseconds (clock()); `end` unset while leading. */
export interface LeadingTerm {
  start: number;
  end?: number;
}

interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date) => d.toISOString().replace(/Z$/, '000Z');

/** Monotonic milliseconds (never jumps with the wall clock). */
export const clock = () => performance.timeOrigin + performance.now();

/** What is wrong with a set of timings (client-go's rules): empty when they are usable. */
export function leaderTimingProblems(t: LeaderTimings): string[] {
  const problems: string[] = [];
  if (t.renewDeadlineMs >= t.leaseDurationMs)
    problems.push(
      `the renew deadline (${t.renewDeadlineMs / 1000} s) must be shorter than the lease duration (${t.leaseDurationMs / 1000} s): otherwise a follower can take over while the leader still leads`,
    );
  if (t.retryPeriodMs * 1.2 >= t.renewDeadlineMs)
    problems.push(
      `the retry period (${t.retryPeriodMs / 1000} s) × 1.2 must be shorter than the renew deadline (${t.renewDeadlineMs / 1000} s): the leader must get more than one try per deadline`,
    );
  return problems;
}

const MAX_TERMS = 100;

export class LeaderElector {
  private leading = false;
  /** End of the current term: start of the last successful renewal + renewDeadline. */
  private leadUntil = 0;
  /** The record as last seen (its resourceVersion) and when this replica saw it change. */
  private observed?: { version: string; at: number };
  private readonly terms: LeadingTerm[] = [];
  private timer?: NodeJS.Timeout;
  private lossTimer?: NodeJS.Timeout;
  /** The attempt in flight: whether it won (false when it failed), and its deadline. */
  private attempt?: { won: Promise<boolean>; deadline: number };
  private stopped = false;
  private stopping?: Promise<void>;
  private readonly settings: Required<LeaderOptions>;
  /** Ungated: the lease is what decides who may write. */
  private readonly client: KubeClient;

  constructor(
    rest: Transport,
    opts: LeaderOptions,
    private readonly logger: Logger,
    private readonly callbacks: { onStarted: () => void; onStopped: () => void },
  ) {
    this.settings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
    const problems = leaderTimingProblems(this.settings);
    if (problems.length > 0) throw new Error(`leader election: ${problems.join('; ')}`);
    this.client = new KubeClient(rest);
  }

  /** True only within the current term (see the module comment). */
  isLeader(): boolean {
    return this.leading && clock() < this.leadUntil;
  }

  /** The terms this replica led (the last 100), oldest first. */
  leadingTerms(): LeadingTerm[] {
    return this.terms.map((t) => ({ ...t }));
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      const attemptStart = clock();
      const deadline = attemptStart + this.settings.renewDeadlineMs;
      const attempt = this.tryAcquireOrRenew(deadline);
      this.attempt = { won: attempt.catch(() => false), deadline };
      let won: boolean | undefined;
      try {
        won = await attempt;
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'lease renewal failed');
      }
      // Stopped meanwhile: stop() settles this attempt itself, and releases the lease if it won.
      if (this.stopped) return;
      this.attempt = undefined;
      if (won) this.renewed(attemptStart);
      else if (won === false) this.lose('lease held by another');
      if (this.leading && !this.isLeader()) this.lose('renew deadline passed');
      this.timer = setTimeout(() => void tick(), this.settings.retryPeriodMs);
    };
    void tick();
  }

  /**
   * Stops leading at once, for good. Releases the lease if held, so another candidate takes over at
   * once: after an attempt in flight has settled (or its deadline passed), so that its write does not
   * make the release conflict.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const wasLeading = this.leading;
    this.lose('stopping');
    const won = this.attempt !== undefined && (await this.settled(this.attempt));
    if (!wasLeading && !won) return;
    try {
      const lease = await this.getLease();
      if (lease?.spec.holderIdentity === this.settings.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        await this.client.replace(resources.lease, lease);
      }
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'could not release the lease');
    }
  }

  /** Whether an attempt won; false if it failed or is still unsettled at its deadline. */
  private async settled(attempt: { won: Promise<boolean>; deadline: number }): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, attempt.deadline - clock()));
    });
    try {
      return await Promise.race([attempt.won, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private renewed(attemptStart: number): void {
    const until = attemptStart + this.settings.renewDeadlineMs;
    const now = clock();
    if (now >= until) return; // confirmed too late to count
    this.leadUntil = until;
    if (!this.leading) {
      this.leading = true;
      this.terms.push({ start: now });
      if (this.terms.length > MAX_TERMS) this.terms.shift();
      this.logger.info({ lease: this.settings.name, identity: this.settings.identity }, 'became leader');
      this.callbacks.onStarted();
    }
    clearTimeout(this.lossTimer);
    this.lossTimer = setTimeout(() => {
      if (this.leading && !this.isLeader()) this.lose('renew deadline passed');
    }, until - now);
    this.lossTimer.unref();
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.lossTimer);
    const term = this.terms.at(-1);
    if (term) term.end = Math.min(clock(), this.leadUntil);
    this.logger.warn({ lease: this.settings.name, reason }, 'lost leadership');
    this.callbacks.onStopped();
  }

  private getLease(opts: { timeoutMs?: number } = {}): Promise<Lease | undefined> {
    return this.client.get<Lease>(resources.lease, this.settings.namespace, this.settings.name, opts);
  }

  private observe(version: string | undefined): void {
    if (version === undefined || version !== this.observed?.version)
      this.observed = { version: version ?? '', at: clock() };
  }

  /** One attempt; every request ends by `deadline`. True when this replica holds the lease now. */
  private async tryAcquireOrRenew(deadline: number): Promise<boolean> {
    const timeoutMs = () => Math.max(1, deadline - clock());
    const now = new Date();
    const spec = {
      holderIdentity: this.settings.identity,
      leaseDurationSeconds: Math.ceil(this.settings.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    const lease = await this.getLease({ timeoutMs: timeoutMs() });
    if (!lease) {
      try {
        const created = await this.client.create<Lease>(
          resources.lease,
          this.settings.namespace,
          {
            apiVersion: resources.lease.apiVersion,
            kind: resources.lease.kind,
            metadata: { name: this.settings.name, namespace: this.settings.namespace },
            spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
          },
          { timeoutMs: timeoutMs() },
        );
        this.observe(created.metadata.resourceVersion);
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    this.observe(lease.metadata.resourceVersion);
    const holder = lease.spec.holderIdentity;
    const held = clock() < this.observed!.at + (lease.spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && held && !(this.leading && holder === this.settings.identity)) return false;
    const transition = holder !== this.settings.identity;
    lease.spec = {
      ...lease.spec,
      ...spec,
      ...(transition ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      const updated = await this.client.replace(resources.lease, lease, { timeoutMs: timeoutMs() });
      this.observe(updated.metadata.resourceVersion);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
