import { describe, expect, it } from '@jest/globals';
import type { Condition } from '@salespipeline/cdk8s';
import type { KubeObject } from '../kube/objects.js';
import {
  cassandraCondition,
  deploymentCondition,
  kafkaCondition,
  phaseOf,
  readyCondition,
  sameStatus,
  setCondition,
  statefulSetCondition,
} from './status.js';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00.456Z');
const condition = (type: Condition['type'], status: Condition['status']): Condition => ({
  type,
  status,
  reason: 'R',
  message: 'm',
  observedGeneration: 1,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const child = (rest: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x', generation: 2 },
  ...rest,
});

describe('setCondition (metav1 semantics)', () => {
  it('adds a condition with its transition time in whole seconds', () => {
    const [c] = setCondition([], { type: 'KafkaReady', status: 'False', reason: 'A', message: 'a' }, 3, t0);
    expect(c).toEqual({
      type: 'KafkaReady',
      status: 'False',
      reason: 'A',
      message: 'a',
      observedGeneration: 3,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });

  it('keeps lastTransitionTime while the status stays, even as reason and message change', () => {
    const first = setCondition([], { type: 'KafkaReady', status: 'False', reason: 'A', message: 'a' }, 1, t0);
    const [c] = setCondition(first, { type: 'KafkaReady', status: 'False', reason: 'B', message: 'b' }, 2, t1);
    expect(c).toMatchObject({ reason: 'B', message: 'b', observedGeneration: 2 });
    expect(c!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('moves lastTransitionTime when the status changes, and leaves other conditions alone', () => {
    const before = [condition('MySQLReady', 'True'), condition('KafkaReady', 'False')];
    const after = setCondition(before, { type: 'KafkaReady', status: 'True', reason: 'Ok', message: '' }, 1, t1);
    expect(after.find((c) => c.type === 'KafkaReady')!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(after.find((c) => c.type === 'MySQLReady')).toEqual(before[0]);
    expect(after).toHaveLength(2);
  });
});

describe('phaseOf and readyCondition', () => {
  const all = (status: Condition['status']) =>
    (['KafkaReady', 'CassandraReady', 'MySQLReady', 'IngestReady', 'ProcessorReady'] as const).map((t) =>
      condition(t, status),
    );

  it('every component True → Ready (the Ready condition itself does not count)', () => {
    expect(phaseOf([...all('True'), condition('Ready', 'False')], undefined)).toBe('Ready');
  });

  it('a component not True → Provisioning if it never was Ready, Degraded once it had been', () => {
    const one = [...all('True').slice(1), condition('KafkaReady', 'False')];
    expect(phaseOf(one, undefined)).toBe('Provisioning');
    expect(phaseOf(one, 'Provisioning')).toBe('Provisioning');
    expect(phaseOf(one, 'Ready')).toBe('Degraded');
    expect(phaseOf(one, 'Degraded')).toBe('Degraded');
  });

  it('no components yet → Provisioning', () => {
    expect(phaseOf([], undefined)).toBe('Provisioning');
  });

  it('Ready names the components that are not ready', () => {
    expect(readyCondition(all('True'))).toMatchObject({ status: 'True', reason: 'AllComponentsReady' });
    const two = [...all('True').slice(2), condition('KafkaReady', 'Unknown'), condition('CassandraReady', 'False')];
    expect(readyCondition(two)).toMatchObject({
      status: 'False',
      reason: 'ComponentsNotReady',
      message: 'not ready: KafkaReady, CassandraReady',
    });
  });
});

describe('conditions read from the children', () => {
  it('a missing child is NotCreated', () => {
    expect(kafkaCondition(undefined)).toMatchObject({ status: 'False', reason: 'NotCreated' });
    expect(deploymentCondition('IngestReady', undefined)).toMatchObject({ type: 'IngestReady', reason: 'NotCreated' });
  });

  it('Strimzi: Ready=True → True; NotReady with a message → StrimziNotReady; nothing yet → Provisioning', () => {
    const kafka = (conditions: unknown[]) => child({ kind: 'Kafka', status: { conditions } });
    expect(kafkaCondition(kafka([{ type: 'Ready', status: 'True' }])).status).toBe('True');
    expect(kafkaCondition(kafka([{ type: 'NotReady', status: 'True', message: 'broker down' }]))).toMatchObject({
      status: 'False',
      reason: 'StrimziNotReady',
      message: 'broker down',
    });
    expect(kafkaCondition(kafka([])).reason).toBe('Provisioning');
  });

  it('K8ssandra: the datacenter’s progress Ready → True, else its progress as the reason', () => {
    const cluster = (progress: string) =>
      child({ status: { datacenters: { dc1: { cassandra: { cassandraOperatorProgress: progress } } } } });
    expect(cassandraCondition(cluster('Ready'), 'dc1').status).toBe('True');
    expect(cassandraCondition(cluster('Updating'), 'dc1')).toMatchObject({
      status: 'False',
      reason: 'ProgressUpdating',
    });
    expect(cassandraCondition(cluster('Ready'), 'dc2').reason).toBe('Provisioning');
  });

  it('a Deployment counts only when Available and its status is of the current generation', () => {
    const available = { conditions: [{ type: 'Available', status: 'True' }], readyReplicas: 2 };
    const deploy = (observedGeneration: number) =>
      child({ spec: { replicas: 2 }, status: { ...available, observedGeneration } });
    expect(deploymentCondition('ProcessorReady', deploy(2))).toMatchObject({ status: 'True', message: '2/2 ready' });
    expect(deploymentCondition('ProcessorReady', deploy(1)).status).toBe('False');
  });

  it('the MySQL StatefulSet needs a ready replica of the current generation', () => {
    expect(statefulSetCondition(child({ status: { readyReplicas: 1, observedGeneration: 2 } })).status).toBe('True');
    expect(statefulSetCondition(child({ status: { readyReplicas: 0, observedGeneration: 2 } }))).toMatchObject({
      status: 'False',
      message: '0/1 replicas ready',
    });
  });
});

describe('sameStatus', () => {
  it('ignores the order of the conditions, not their content', () => {
    const a = {
      phase: 'Ready' as const,
      conditions: [condition('KafkaReady', 'True'), condition('MySQLReady', 'True')],
    };
    const b = {
      phase: 'Ready' as const,
      conditions: [condition('MySQLReady', 'True'), condition('KafkaReady', 'True')],
    };
    expect(sameStatus(a, b)).toBe(true);
    expect(
      sameStatus(a, { ...b, conditions: [condition('MySQLReady', 'False'), condition('KafkaReady', 'True')] }),
    ).toBe(false);
    expect(sameStatus(undefined, { phase: 'Provisioning' })).toBe(false);
  });
});
