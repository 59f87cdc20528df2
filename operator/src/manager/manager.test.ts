import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger, createRegistry } from '@salespipeline/shared';
import type { Transport } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';
import type { RequestOpts } from '../kube/rest.js';
import { Controller, type Reconcile } from './controller.js';
import { TerminalError } from './errors.js';
import { Manager, type Runnable } from './manager.js';
import { managerMetrics } from './metrics.js';

const resource = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };

/** A fake apiserver: lists wait until `release()`, then answer; watches stay open until aborted. */
class FakeApi implements Transport {
  private released = false;
  private readonly waiting: Array<() => void> = [];
  items: KubeObject[] = [];

  release(): void {
    this.released = true;
    for (const resume of this.waiting.splice(0)) resume();
  }

  async request<T>(method: string, _path: string, _opts?: RequestOpts): Promise<T> {
    if (method !== 'GET') throw new Error(`unexpected ${method}`);
    if (!this.released) await new Promise<void>((resume) => this.waiting.push(resume));
    return { metadata: { resourceVersion: '1' }, items: this.items } as T;
  }

  watch(_path: string, _query: unknown, _onEvent: unknown, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

const logger = createLogger('manager-test', 'silent');
const managers: Manager[] = [];

function newManager(api: FakeApi) {
  const metrics = managerMetrics(createRegistry('manager-test'), 'test');
  const manager = new Manager(api, { name: 'test', watchSilenceMs: 60_000, metrics }, logger);
  managers.push(manager);
  return { manager, metrics };
}

function recorder(log: string[], name: string, leaderOnly: boolean): Runnable {
  return {
    name,
    leaderOnly,
    start: () => void log.push(`start ${name}`),
    stop: async () => void log.push(`stop ${name}`),
  };
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  jest.useRealTimers();
});

describe('Manager', () => {
  it('starts the runnables only once every cache has synced, leader-only ones last; stops in reverse', async () => {
    const api = new FakeApi();
    const { manager } = newManager(api);
    const log: string[] = [];
    manager.informer({ resource });
    manager.informer({ resource: { ...resource, kind: 'Secret', plural: 'secrets' } });
    manager.add(recorder(log, 'controller', true));
    manager.add(recorder(log, 'server', false));
    manager.add(recorder(log, 'autoscaler', true));
    manager.start();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(manager.hasSynced()).toBe(false);
    expect(log).toEqual([]);
    api.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(manager.hasSynced()).toBe(true);
    expect(manager.watchesAlive()).toBe(true);
    expect(log).toEqual(['start server', 'start controller', 'start autoscaler']);
    log.length = 0;
    await manager.stop();
    expect(log).toEqual(['stop autoscaler', 'stop controller', 'stop server']);
    expect(manager.watchesAlive()).toBe(false);
  });

  it('refuses a runnable added after start', () => {
    const { manager } = newManager(new FakeApi());
    manager.start();
    expect(() => manager.add(recorder([], 'late', false))).toThrow(/late added after start/);
  });

  it('stopped before the caches synced, it starts nothing', async () => {
    const api = new FakeApi();
    const { manager } = newManager(api);
    const log: string[] = [];
    manager.informer({ resource });
    manager.add(recorder(log, 'controller', true));
    manager.start();
    const stopping = manager.stop();
    api.release();
    await jest.advanceTimersByTimeAsync(0);
    await stopping;
    expect(log).toEqual([]);
  });
});

describe('Controller errors', () => {
  async function run(reconcile: Reconcile) {
    const api = new FakeApi();
    api.items = [{ ...resource, metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', generation: 1 } }];
    api.release();
    const { manager, metrics } = newManager(api);
    const primary = manager.informer({ resource });
    const reported: string[] = [];
    const controller = new Controller(
      {
        name: 'test',
        primary,
        owned: [],
        mapOwned: () => undefined,
        reconcile,
        onTerminal: async (key, err) => void reported.push(`${key}: ${err.reason}`),
        queue: { baseDelayMs: 1_000 },
      },
      metrics,
      logger,
    );
    manager.add(controller);
    manager.start();
    await jest.advanceTimersByTimeAsync(0);
    const results = async () =>
      Object.fromEntries((await metrics.reconcileTotal.get()).values.map((v) => [v.labels.result, v.value]));
    return { reported, results };
  }

  it('a terminal error goes to the hook once and is not retried', async () => {
    let calls = 0;
    const { reported, results } = await run(async () => {
      calls++;
      throw new TerminalError('InvalidSpec', 'spec.x: wrong');
    });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(1);
    expect(reported).toEqual(['ns/a: InvalidSpec']);
    expect(await results()).toEqual({ invalid: 1 });
  });

  it('a terminal error with a recheck interval is looked at again after it, without backoff growth', async () => {
    let calls = 0;
    const { reported } = await run(async () => {
      calls++;
      throw new TerminalError('MySQLSecretMissing', 'secret absent', 30_000);
    });
    await jest.advanceTimersByTimeAsync(29_000);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(calls).toBe(3);
    expect(reported).toHaveLength(3);
  });

  it('any other error is retried with growing backoff and never reaches the hook', async () => {
    let calls = 0;
    const { reported, results } = await run(async () => {
      calls++;
      throw new Error('apiserver timeout');
    });
    await jest.advanceTimersByTimeAsync(1_000); // retry 1 after 1 s
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(1_999); // retry 2 after 2 s more
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(3);
    expect(reported).toEqual([]);
    expect(await results()).toEqual({ error: 3 });
  });
});
