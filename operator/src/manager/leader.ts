/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's: acquire when the lease is free
 * or expired, renew every retry period, and consider leadership lost as soon as a renewal cannot
 * be confirmed within the renew deadline. Updates are optimistic (resourceVersion), so two
 * candidates never both win. `isLeader()` is checked before every write.
 */
import type { Logger } from '@salespipeline/shared';
import { isConflict, isNotFound, objectPath, collectionPath, type KubeRest } from '../kube/rest.js';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date) => d.toISOString().replace(/Z$/, '000Z');

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly o: Required<LeaderOptions>;

  constructor(
    private readonly rest: KubeRest,
    opts: LeaderOptions,
    private readonly logger: Logger,
    private readonly callbacks: { onStarted: () => void; onStopped: () => void },
  ) {
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  /** True only while the last confirmed renewal is younger than the renew deadline. */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew < this.o.renewDeadlineMs;
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        const ok = await this.tryAcquireOrRenew();
        if (ok) {
          this.lastRenew = Date.now();
          if (!this.leading) {
            this.leading = true;
            this.logger.info({ lease: this.o.name, identity: this.o.identity }, 'became leader');
            this.callbacks.onStarted();
          }
        } else if (this.leading) this.lose('lease held by another');
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'lease renewal failed');
      }
      if (this.leading && !this.isLeader()) this.lose('renew deadline passed');
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.o.retryPeriodMs);
    };
    void tick();
  }

  /** Stops; releases the lease if held, so another candidate takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      this.lose('stopping');
      try {
        const lease = await this.rest.request<Lease>('GET', this.path());
        if (lease.spec.holderIdentity === this.o.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.leaseDurationSeconds = 1;
          await this.rest.request('PUT', this.path(), { body: lease });
        }
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'could not release the lease');
      }
    }
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.logger.warn({ lease: this.o.name, reason }, 'lost leadership');
    this.callbacks.onStopped();
  }

  private path(): string {
    return objectPath('coordination.k8s.io/v1', 'leases', this.o.namespace, this.o.name);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const spec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease;
    try {
      lease = await this.rest.request<Lease>('GET', this.path(), { timeoutMs: this.o.renewDeadlineMs });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.rest.request('POST', collectionPath('coordination.k8s.io/v1', 'leases', this.o.namespace), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
          },
        });
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false;
        throw createErr;
      }
    }
    const holder = lease.spec.holderIdentity;
    const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired = renewed + (lease.spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (holder && holder !== this.o.identity && !expired) return false;
    const transition = holder !== this.o.identity;
    lease.spec = {
      ...lease.spec,
      ...spec,
      ...(transition ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.rest.request('PUT', this.path(), { body: lease, timeoutMs: this.o.renewDeadlineMs });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
