/**
 * Leader election when one replica's apiserver answers arrive late (a TCP proxy holds them): the
 * late replica's renewals may still land, yet no two replicas lead at the same moment. Each term is
 * taken from the elector itself (when it started leading, when isLeader() turned false).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TcpProxy, testKubeconfigPath } from '@salespipeline/shared/testing';
import { KubeRest, LeaderElector, loadKubeConfig, type LeadingTerm } from '@salespipeline/operator';
import { createNamespace, deleteNamespace, quietLogger, testRest, waitFor } from '@salespipeline/operator/testing';

jest.setTimeout(120_000);

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
/** Each answer held this long: one request stays inside the renew deadline, a GET + PUT (3.2 s) outlast it and the lease. */
const DELAY_MS = 1_600;

let rest: KubeRest;
let ns: string;
let proxy: TcpProxy;
const electors: LeaderElector[] = [];

/** A REST client whose traffic to the apiserver goes through the proxy. */
function proxiedRest(port: number): KubeRest {
  const kubeConfig = loadKubeConfig(testKubeconfigPath());
  const current = kubeConfig.getCurrentCluster()!;
  const server = new URL(current.server);
  server.host = `127.0.0.1:${port}`;
  kubeConfig.clusters = kubeConfig.clusters.map((c) => (c.name === current.name ? { ...c, server: server.origin } : c));
  return new KubeRest(kubeConfig);
}

function elector(client: KubeRest, identity: string): LeaderElector {
  const e = new LeaderElector(
    client,
    { namespace: ns, name: 'delayed-lease', identity, ...timings },
    quietLogger().child({ identity }),
    { onStarted: () => undefined, onStopped: () => undefined },
  );
  electors.push(e);
  e.start();
  return e;
}

const overlaps = (a: LeadingTerm, b: LeadingTerm) => a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity);

beforeAll(async () => {
  rest = testRest();
  ns = await createNamespace(rest, 'leader-delay');
  const server = rest.server;
  proxy = new TcpProxy(server.hostname, Number(server.port));
  await proxy.start();
});

afterAll(async () => {
  await Promise.all(electors.map((e) => e.stop()));
  await proxy.cut();
  await deleteNamespace(rest, ns);
});

describe('leader election with one replica answered late', () => {
  it('never has two leaders at once, and the replica answered in time takes over', async () => {
    const late = elector(proxiedRest(proxy.port), 'late');
    await waitFor(async () => late.isLeader(), { what: 'the proxied replica leads', timeoutMs: 30_000 });
    const prompt = elector(rest, 'prompt');

    // Sampled as well: both replicas asked at the same instant.
    let bothAtOnce = 0;
    const sampler = setInterval(() => {
      if (late.isLeader() && prompt.isLeader()) bothAtOnce++;
    }, 10);
    try {
      proxy.delayResponses(DELAY_MS);
      await waitFor(async () => prompt.isLeader(), { what: 'the prompt replica takes over', timeoutMs: 60_000 });
      // Then several lease durations more, with the late replica still renewing and competing.
      await waitFor(async () => prompt.isLeader() && !late.isLeader(), { what: 'a settled leader' });
      await sleep(timings.leaseDurationMs * 3);
    } finally {
      clearInterval(sampler);
    }
    expect(bothAtOnce).toBe(0);
    const lateTerms = late.leadingTerms();
    const promptTerms = prompt.leadingTerms();
    expect(lateTerms.length).toBeGreaterThan(0);
    expect(promptTerms.length).toBeGreaterThan(0);
    for (const a of lateTerms)
      for (const b of promptTerms)
        expect({ late: a, prompt: b, overlap: overlaps(a, b) }).toMatchObject({ overlap: false });
    expect(late.isLeader()).toBe(false);
  });
});
