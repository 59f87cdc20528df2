/** Two operator replicas against the real kube-apiserver: only the Lease holder writes; failover. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { objectPath, type KubeRest, type Operator } from '@salespipeline/operator';
import {
  createSp,
  fastLeaderElectionEnv,
  get,
  mergePatch,
  reconcileCount,
  setUpNamespace,
  tearDownNamespace,
  testOperator,
  waitFor,
} from '@salespipeline/operator/testing';

jest.setTimeout(90_000);
/**
 * A lease that a busy machine does not lose between renewals (the follower must not lead before the
 * leader stops); the takeover stays quick, as the leader releases the lease when it stops.
 */
const leaderElectionEnv = { ...fastLeaderElectionEnv, LEASE_DURATION_SECONDS: '15', RENEW_DEADLINE_SECONDS: '10' };
let rest: KubeRest;
let ns: string;
let replicas: Operator[] = [];

beforeAll(async () => {
  ({ rest, ns } = await setUpNamespace('leader'));
  replicas = [
    testOperator(ns, { ...leaderElectionEnv, POD_NAME: 'replica-a' }),
    testOperator(ns, { ...leaderElectionEnv, POD_NAME: 'replica-b' }),
  ];
});

afterAll(() => tearDownNamespace(rest, ns, replicas));

describe('leader election on a Lease', () => {
  it('only the leader reconciles and writes; the follower takes over when the leader stops', async () => {
    const leader = await waitFor(
      async () => replicas.filter((r) => r.isLeader()).length === 1 && replicas.find((r) => r.isLeader()),
      {
        what: 'one leader',
      },
    );
    const follower = replicas.find((r) => r !== leader)!;
    const lease = await get(rest, objectPath('coordination.k8s.io/v1', 'leases', ns, 'salespipeline-operator'));
    expect(['replica-a', 'replica-b']).toContain(lease.spec.holderIdentity);

    await createSp(rest, ns, 'ha');
    const ingest = objectPath('apps/v1', 'deployments', ns, 'ha-ingest');
    await waitFor(() => get(rest, ingest), { what: 'children applied by the leader' });
    // The children are applied before the reconcile that applied them is counted as finished.
    await waitFor(async () => (await reconcileCount(leader)) > 0, { what: "the leader's reconcile to complete" });
    expect(await reconcileCount(follower)).toBe(0);
    expect(follower.controller.isRunning).toBe(false);

    // The leader steps down (releases the Lease); the follower takes over and corrects drift.
    await leader.stop();
    await waitFor(async () => follower.isLeader(), { what: 'follower leads', timeoutMs: 30_000 });
    expect(
      (await get(rest, objectPath('coordination.k8s.io/v1', 'leases', ns, 'salespipeline-operator'))).spec
        .holderIdentity,
    ).toBe(follower === replicas[0] ? 'replica-a' : 'replica-b');
    await mergePatch(rest, ingest, { spec: { replicas: 5 } });
    await waitFor(async () => (await get(rest, ingest))?.spec.replicas === 2, {
      what: 'drift reverted by the new leader',
    });
    await waitFor(async () => (await reconcileCount(follower)) > 0, { what: "the new leader's reconcile to complete" });
  });
});
