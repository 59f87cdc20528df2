import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '@salespipeline/shared';
import type { Transport } from '../kube/client.js';
import { KubeApiError, type RequestOpts } from '../kube/rest.js';
import { LeaderElector, leaderTimingProblems } from './leader.js';

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
}

/**
 * A fake apiserver holding Leases: optimistic concurrency on resourceVersion, a switch to make it fail,
 * and writes that can be held in flight (then applied in the order they came).
 */
class FakeLeases implements Transport {
  private readonly leases = new Map<string, Lease>();
  private version = 0;
  private held?: Array<() => void>;
  down = false;

  lease(name = 'lock'): Lease | undefined {
    return this.leases.get(name);
  }

  holdWrites(): void {
    this.held = [];
  }

  releaseWrites(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  async request<T>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    if (this.down) throw new Error('connection refused (test)');
    const held = this.held;
    if (held && method !== 'GET') await new Promise<void>((go) => held.push(go));
    const body = structuredClone(opts.body) as Lease | undefined;
    const name = method === 'POST' ? body!.metadata.name : decodeURIComponent(path.split('/').at(-1)!);
    const stored = this.leases.get(name);
    if (method === 'GET') {
      if (!stored) throw new KubeApiError(404, 'NotFound', `lease ${name} not found`);
      return structuredClone(stored) as T;
    }
    if (method === 'POST' && stored) throw new KubeApiError(409, 'AlreadyExists', `lease ${name} exists`);
    if (method === 'PUT' && stored?.metadata.resourceVersion !== body!.metadata.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    const saved = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++this.version) } };
    this.leases.set(name, saved);
    return structuredClone(saved) as T;
  }

  watch(): Promise<void> {
    throw new Error('not used');
  }
}

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
const logger = createLogger('leader-test', 'silent');
const electors: LeaderElector[] = [];

function candidate(api: FakeLeases, identity: string) {
  const calls = { started: 0, stopped: 0 };
  const elector = new LeaderElector(api, { namespace: 'ns', name: 'lock', identity, ...timings }, logger, {
    onStarted: () => calls.started++,
    onStopped: () => calls.stopped++,
  });
  electors.push(elector);
  elector.start();
  return { elector, calls };
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
});
afterEach(async () => {
  const stopped = Promise.all(electors.splice(0).map((e) => e.stop()));
  await jest.advanceTimersByTimeAsync(timings.renewDeadlineMs); // stop() waits for a hung attempt until its deadline
  await stopped;
  jest.useRealTimers();
});

describe('LeaderElector', () => {
  it('a lone candidate creates the Lease and leads; renewals keep it leading', async () => {
    const api = new FakeLeases();
    const { elector, calls } = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    expect(elector.isLeader()).toBe(true);
    expect(calls).toEqual({ started: 1, stopped: 0 });
    expect(api.lease()?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 3, leaseTransitions: 0 });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(elector.isLeader()).toBe(true);
    expect(calls).toEqual({ started: 1, stopped: 0 });
  });

  it('a second candidate does not lead while the holder renews', async () => {
    const api = new FakeLeases();
    const first = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    const second = candidate(api, 'b');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(first.elector.isLeader()).toBe(true);
    expect(second.elector.isLeader()).toBe(false);
    expect(second.calls.started).toBe(0);
  });

  it('a holder that stops renewing is taken over a lease duration after the follower last saw it change', async () => {
    const api = new FakeLeases();
    const first = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    const second = candidate(api, 'b');
    await jest.advanceTimersByTimeAsync(1_000);
    // The holder's process hangs: no more renewals, no release.
    jest
      .spyOn(first.elector as unknown as { tryAcquireOrRenew: () => Promise<boolean> }, 'tryAcquireOrRenew')
      .mockImplementation(() => new Promise<boolean>(() => undefined));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(second.elector.isLeader()).toBe(false);
    await jest.advanceTimersByTimeAsync(2_500);
    expect(second.elector.isLeader()).toBe(true);
    expect(api.lease()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that cannot renew stops leading at its renew deadline, before anyone could take over', async () => {
    const api = new FakeLeases();
    const { elector, calls } = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    api.down = true;
    await jest.advanceTimersByTimeAsync(1_900);
    expect(elector.isLeader()).toBe(true);
    await jest.advanceTimersByTimeAsync(200);
    expect(elector.isLeader()).toBe(false);
    expect(calls).toEqual({ started: 1, stopped: 1 });
    expect(elector.leadingTerms()).toHaveLength(1);
    expect(elector.leadingTerms()[0]!.end).toBeDefined();
  });

  it('stop releases the lease, so the follower takes over without waiting for it to expire', async () => {
    const api = new FakeLeases();
    const first = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    const second = candidate(api, 'b');
    await jest.advanceTimersByTimeAsync(500);
    await first.elector.stop();
    expect(first.calls.stopped).toBe(1);
    expect(api.lease()?.spec.holderIdentity).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_500);
    expect(second.elector.isLeader()).toBe(true);
  });

  it('stop during a renewal in flight: never leads again, and releases the lease the renewal wrote', async () => {
    const api = new FakeLeases();
    const first = candidate(api, 'a');
    await jest.advanceTimersByTimeAsync(0);
    const second = candidate(api, 'b');
    await jest.advanceTimersByTimeAsync(400);
    api.holdWrites();
    await jest.advanceTimersByTimeAsync(100); // the leader's renewal: read, its write in flight
    const stopping = first.elector.stop();
    await jest.advanceTimersByTimeAsync(0);
    api.releaseWrites(); // the renewal lands, then anything stop() wrote meanwhile
    await stopping;
    await jest.advanceTimersByTimeAsync(0);
    expect(first.elector.isLeader()).toBe(false);
    expect(first.calls).toEqual({ started: 1, stopped: 1 });
    expect(api.lease()?.spec.holderIdentity).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_500);
    expect(second.elector.isLeader()).toBe(true);
    expect(first.elector.isLeader()).toBe(false);
  });

  it('timings: the renew deadline must be shorter than the lease, the retry period well inside the deadline', () => {
    expect(leaderTimingProblems(timings)).toEqual([]);
    expect(leaderTimingProblems({ ...timings, renewDeadlineMs: 3_000 })).toEqual([
      expect.stringMatching(/renew deadline \(3 s\) must be shorter than the lease duration \(3 s\)/),
    ]);
    expect(leaderTimingProblems({ ...timings, retryPeriodMs: 1_700 })).toEqual([
      expect.stringMatching(/retry period \(1.7 s\) × 1.2 must be shorter than the renew deadline/),
    ]);
    expect(
      () =>
        new LeaderElector(
          new FakeLeases(),
          { namespace: 'n', name: 'l', identity: 'i', leaseDurationMs: 1_000 },
          logger,
          {
            onStarted: () => undefined,
            onStopped: () => undefined,
          },
        ),
    ).toThrow(/leader election: the renew deadline/);
  });
});
