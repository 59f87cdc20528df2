import { describe, expect, it } from '@jest/globals';
import { checkSpec, withDefaults } from './validate.js';

describe('spec defaults and validation', () => {
  it('fills every default from the schema', () => {
    const spec = withDefaults({});
    expect(spec.kafka).toEqual({
      version: '3.9.0',
      replicas: 3,
      authentication: 'none',
      storage: { size: '20Gi' },
      topics: { name: 'orders', partitions: 12, retentionHours: 168 },
    });
    expect(spec.processor.minReplicas).toBe(1);
    expect(spec.ingest.serviceType).toBe('ClusterIP');
    expect(spec.deletionPolicy).toBe('Retain');
    expect(spec.networkPolicies).toEqual({
      enabled: true,
      monitoringNamespace: 'monitoring',
      operatorNamespace: 'salespipeline-system',
      k8ssandraNamespace: 'k8ssandra-operator',
      kedaNamespace: 'keda',
    });
  });

  it('keeps given values', () => {
    expect(withDefaults({ kafka: { replicas: 5 } }).kafka.replicas).toBe(5);
  });

  it('checks the OpenAPI rules and the CEL rules that have a TypeScript twin', () => {
    expect(checkSpec({}).ok).toBe(true);
    const bad = checkSpec({ processor: { minReplicas: 4, maxReplicas: 3 } });
    expect(bad).toEqual({ ok: false, problems: ['spec.processor: maxReplicas must be >= minReplicas'] });
    const tooMany = checkSpec({ kafka: { topics: { partitions: 2 } }, processor: { maxReplicas: 3 } });
    expect(tooMany.ok).toBe(false);
    const enumBad = checkSpec({ ingest: { serviceType: 'Ingress' as never } });
    expect(enumBad.ok).toBe(false);
    const qty = checkSpec({ mysql: { storage: { size: 'lots' } } });
    expect(qty.ok ? [] : qty.problems[0]).toMatch(/spec\.mysql\.storage\.size/);
  });
});
