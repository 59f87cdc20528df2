/**
 * A leader change while the processors are scaled out for lag: the new leader reconciles before its
 * first lag poll and must hold the running replicas, not fall back to minReplicas.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  collectionPath,
  objectPath,
  type KubeRest,
  type LagReader,
  type Operator,
  type PartitionLag,
} from '@salespipeline/operator';
import {
  createSp,
  fastLeaderElectionEnv,
  get,
  reconcileCount,
  setUpNamespace,
  tearDownNamespace,
  testOperator,
  waitFor,
} from '@salespipeline/operator/testing';

jest.setTimeout(90_000);

const PARTITIONS = 4;

/** A lag reader that reports a large backlog on every partition, or fails while `reachable` is false. */
class SwitchableLag implements LagReader {
  reachable = true;
  async read(): Promise<PartitionLag[]> {
    if (!this.reachable) throw new Error('Kafka not reachable (test)');
    return Array.from({ length: PARTITIONS }, (_, partition) => ({
      partition,
      end: 10_000,
      committed: 0,
      lag: 10_000,
    }));
  }
  async close(): Promise<void> {}
}

let rest: KubeRest;
let ns: string;
const lags = [new SwitchableLag(), new SwitchableLag()];
let replicas: Operator[] = [];

beforeAll(async () => {
  ({ rest, ns } = await setUpNamespace('failover'));
  replicas = lags.map((lagReader, i) =>
    testOperator(ns, { ...fastLeaderElectionEnv, POD_NAME: `replica-${i}` }, { lagReader }),
  );
});

afterAll(() => tearDownNamespace(rest, ns, replicas));

describe('processor replicas across a leader change', () => {
  it('the new leader keeps the scaled-out replicas until its own lag poll decides', async () => {
    await createSp(rest, ns, 'lagging', {
      processor: { minReplicas: 1, maxReplicas: 6, lagThreshold: 100, autoscaling: { pollingSeconds: 1 } },
    });
    const processor = objectPath('apps/v1', 'deployments', ns, 'lagging-processor');
    const replicasNow = async () => (await get(rest, processor))?.spec.replicas as number | undefined;
    await waitFor(async () => (await replicasNow()) === PARTITIONS, {
      what: `the leader scales the processor to ${PARTITIONS} for the backlog`,
      timeoutMs: 60_000,
    });
    // While the lease changes hands (a busy machine may miss a renew deadline), nobody leads for a moment.
    const leader = await waitFor(() => replicas.find((r) => r.isLeader()), { what: 'a leader' });
    const follower = replicas.find((r) => r !== leader)!;

    // Every spec.replicas the Deployment has from here on, from the apiserver's watch.
    const seen: number[] = [];
    const abort = new AbortController();
    const { metadata } = (await get(rest, processor)) as { metadata: { resourceVersion: string } };
    const watching = rest
      .watch<{ spec: { replicas: number } }>(
        collectionPath('apps/v1', 'deployments', ns),
        { fieldSelector: 'metadata.name=lagging-processor', resourceVersion: metadata.resourceVersion },
        (e) => seen.push(e.object.spec.replicas),
        abort.signal,
      )
      .catch(() => undefined);

    // The new leader cannot read the lag yet: it reconciles with no decision of its own.
    lags[replicas.indexOf(follower)]!.reachable = false;
    const before = await reconcileCount(follower);
    await leader.stop();
    await waitFor(async () => follower.isLeader(), { what: 'the follower leads', timeoutMs: 30_000 });
    await waitFor(async () => (await reconcileCount(follower)) > before + 1, {
      what: "the new leader's reconciles",
      timeoutMs: 30_000,
    });
    expect(await replicasNow()).toBe(PARTITIONS);

    // Once it reads the lag, its own decision holds them too.
    lags[replicas.indexOf(follower)]!.reachable = true;
    const desired = async () =>
      (await follower.registry.getSingleMetric('salespipeline_processor_replicas_desired')!.get()).values[0]?.value;
    await waitFor(async () => (await desired()) === PARTITIONS, { what: 'the new leader decides from the lag' });
    abort.abort();
    await watching;
    expect(seen.filter((n) => n !== PARTITIONS)).toEqual([]);
  });
});
