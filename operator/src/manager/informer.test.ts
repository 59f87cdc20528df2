import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '@salespipeline/shared';
import type { KubeClient, KubeList } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';
import { KubeApiError, type WatchEvent } from '../kube/rest.js';
import { Informer, type InformerEvent } from './informer.js';

const resource = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };
const obj = (name: string, resourceVersion: string): KubeObject => ({
  ...resource,
  metadata: { name, namespace: 'ns', resourceVersion },
});

/** A fake apiserver for one kind: lists answer from a script, watches stay open until told otherwise. */
class FakeApi implements Pick<KubeClient, 'list' | 'watch'> {
  readonly lists: Array<KubeList<KubeObject> | Error> = [];
  listCalls = 0;
  readonly watchesFrom: string[] = [];
  private current?: { onEvent: (e: WatchEvent<KubeObject>) => void; end: (err?: Error) => void };

  async list<T extends KubeObject>(): Promise<KubeList<T>> {
    this.listCalls++;
    const next = this.lists.length > 1 ? this.lists.shift()! : this.lists[0]!;
    if (next instanceof Error) throw next;
    return next as KubeList<T>;
  }

  watch<T extends KubeObject>(
    _res: unknown,
    opts: { resourceVersion: string; signal: AbortSignal },
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<void> {
    this.watchesFrom.push(opts.resourceVersion);
    return new Promise<void>((resolve, reject) => {
      const end = (err?: Error) => {
        this.current = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.current = {
        onEvent: (e) => {
          try {
            onEvent(e as WatchEvent<T>);
          } catch (err) {
            end(err as Error);
          }
        },
        end,
      };
      opts.signal.addEventListener('abort', () => end(), { once: true });
    });
  }

  send(type: WatchEvent['type'], object: KubeObject): void {
    this.current!.onEvent({ type, object });
  }

  /** Ends the open watch: as the server does (no error) or as a broken connection does. */
  end(err?: Error): void {
    this.current!.end(err);
  }

  get watching(): boolean {
    return this.current !== undefined;
  }
}

const logger = createLogger('informer-test', 'silent');
let informer: Informer | undefined;

function start(api: FakeApi, opts: { silenceMs?: number; optional?: boolean; onRestart?: (r: string) => void } = {}) {
  informer = new Informer(api, { resource, namespace: 'ns', ...opts }, logger);
  const events: Array<[InformerEvent, string, string | undefined]> = [];
  informer.on((event, o) => events.push([event, o.metadata.name, o.metadata.resourceVersion]));
  informer.start();
  return { informer, events };
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
});
afterEach(async () => {
  const stopping = informer?.stop();
  await jest.runOnlyPendingTimersAsync();
  await stopping;
  informer = undefined;
  jest.useRealTimers();
});

describe('Informer', () => {
  it('lists into the cache, then applies the watch events from the list’s resourceVersion', async () => {
    const api = new FakeApi();
    api.lists.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '10' });
    const { informer, events } = start(api);
    await informer.whenSynced;
    await jest.advanceTimersByTimeAsync(0);
    expect(informer.hasSynced()).toBe(true);
    expect(api.watchesFrom).toEqual(['10']);
    api.send('MODIFIED', obj('a', '11'));
    api.send('ADDED', obj('c', '12'));
    api.send('DELETED', obj('b', '13'));
    expect([...informer.cache.keys()].sort()).toEqual(['ns/a', 'ns/c']);
    expect(events).toEqual([
      ['add', 'a', '1'],
      ['add', 'b', '2'],
      ['update', 'a', '11'],
      ['add', 'c', '12'],
      ['delete', 'b', '13'],
    ]);
  });

  it('a relist is diffed against the cache: changed → update, unchanged → nothing, gone → delete', async () => {
    const api = new FakeApi();
    api.lists.push({ items: [obj('a', '1'), obj('b', '2'), obj('c', '3')], resourceVersion: '10' });
    api.lists.push({ items: [obj('a', '1'), obj('b', '5'), obj('d', '6')], resourceVersion: '20' });
    const { informer, events } = start(api);
    await informer.whenSynced;
    await jest.advanceTimersByTimeAsync(0);
    events.length = 0;
    informer.restart('test');
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual([
      ['update', 'b', '5'],
      ['add', 'd', '6'],
      ['delete', 'c', '3'],
    ]);
    expect(api.watchesFrom).toEqual(['10', '20']);
  });

  it('a 410 Gone relists (after a short backoff) and reports the restart as gone', async () => {
    const api = new FakeApi();
    api.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    api.lists.push({ items: [obj('a', '7')], resourceVersion: '30' });
    const restarts: string[] = [];
    const { informer, events } = start(api, { onRestart: (r) => restarts.push(r) });
    await informer.whenSynced;
    await jest.advanceTimersByTimeAsync(0);
    api.send('ERROR', { code: 410, message: 'too old resource version' } as unknown as KubeObject);
    await jest.advanceTimersByTimeAsync(0);
    expect(restarts).toEqual(['gone']);
    expect(api.listCalls).toBe(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(api.listCalls).toBe(2);
    expect(api.watchesFrom).toEqual(['10', '30']);
    expect(events.at(-1)).toEqual(['update', 'a', '7']);
  });

  it('a watch the server closes resumes from the last resourceVersion seen, bookmarks included', async () => {
    const api = new FakeApi();
    api.lists.push({ items: [], resourceVersion: '10' });
    const { informer } = start(api);
    await informer.whenSynced;
    await jest.advanceTimersByTimeAsync(0);
    api.send('ADDED', obj('a', '11'));
    api.send('BOOKMARK', { ...resource, metadata: { name: '', resourceVersion: '15' } });
    api.end();
    await jest.advanceTimersByTimeAsync(0);
    expect(api.watchesFrom).toEqual(['10', '15']);
    expect(api.listCalls).toBe(1);
    expect(informer.cache.has('ns/')).toBe(false);
  });

  it('a watch silent for longer than silenceMs is restarted (relisted); a talking one is not', async () => {
    const api = new FakeApi();
    api.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    const restarts: string[] = [];
    const { informer } = start(api, { silenceMs: 10_000, onRestart: (r) => restarts.push(r) });
    await informer.whenSynced;
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 4; i++) {
      await jest.advanceTimersByTimeAsync(6_000);
      api.send('BOOKMARK', { ...resource, metadata: { name: '', resourceVersion: String(20 + i) } });
    }
    expect(restarts).toEqual([]);
    expect(informer.isAlive()).toBe(true);
    await jest.advanceTimersByTimeAsync(15_000);
    expect(restarts).toEqual(['silent for 10000 ms']);
    expect(api.listCalls).toBe(2);
  });

  it('an optional kind whose CRD is absent (404) is synced and empty, and looked for again later', async () => {
    const api = new FakeApi();
    api.lists.push(new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'));
    api.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    const { informer } = start(api, { optional: true, silenceMs: 60_000 });
    await informer.whenSynced;
    expect(informer.hasSynced()).toBe(true);
    expect(informer.cache.size).toBe(0);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(api.listCalls).toBe(2);
    expect([...informer.cache.keys()]).toEqual(['ns/a']);
  });

  it('a failed list is retried with backoff and counts as not synced meanwhile', async () => {
    const api = new FakeApi();
    api.lists.push(new KubeApiError(500, 'InternalError', 'etcd'));
    api.lists.push({ items: [], resourceVersion: '10' });
    const { informer } = start(api);
    await jest.advanceTimersByTimeAsync(0);
    expect(informer.hasSynced()).toBe(false);
    expect(informer.isAlive()).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    expect(informer.hasSynced()).toBe(true);
  });
});
