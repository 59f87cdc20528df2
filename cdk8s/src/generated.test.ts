import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { generatedFiles } from './generated.js';
import { ownedKinds } from './kinds.js';

const root = join(import.meta.dirname, '..', '..');

describe('generated CRD and RBAC', () => {
  it.each(Object.entries(generatedFiles()))(
    '%s is up to date (run: npm run -w @salespipeline/cdk8s generate)',
    (path, content) => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(content);
    },
  );

  it('the CRD carries the CEL rules, defaults, printer columns and status subresource', () => {
    const crd = yaml.load(generatedFiles()['crds/salespipeline.io_salespipelines.yaml']!) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const v = crd.spec.versions[0];
    expect(crd.spec.names.shortNames).toEqual(['sp']);
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual([
      'Phase',
      'Kafka',
      'Cassandra',
      'MySQL',
      'Processors',
      'Age', // prettier-ignore
    ]);
    const spec = v.schema.openAPIV3Schema.properties.spec;
    const rules = JSON.stringify(spec);
    expect(rules).toContain('self.maxReplicas >= self.minReplicas');
    expect(rules).toContain('self >= oldSelf');
    expect(rules).toContain('self.clusterName == oldSelf.clusterName');
    expect(rules).not.toContain('holds');
    expect(spec.properties.kafka.properties.replicas.default).toBe(3);
    expect(spec.properties.kafka.required).toBeUndefined();
  });

  it('RBAC grants exactly the owned kinds, and no wildcard', () => {
    const docs = yaml.loadAll(generatedFiles()['crds/rbac.yaml']!) as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const role = docs.find((d) => d.kind === 'ClusterRole');
    const granted = role.rules.flatMap((r: { resources: string[] }) => r.resources);
    for (const k of ownedKinds) expect(granted).toContain(k.plural);
    expect(JSON.stringify(docs)).not.toContain('"*"');
  });
});
