import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { generatedDirs, generatedFiles } from './generated.js';
import { ownedKinds } from './kinds.js';

const root = join(import.meta.dirname, '..', '..');
const files = generatedFiles();
const listed = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listed(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
  );

describe('generated files', () => {
  it.each(Object.keys(files))('%s is up to date (run: make manifests)', (path) => {
    expect(existsSync(join(root, path))).toBe(true);
    expect(readFileSync(join(root, path), 'utf8')).toBe(files[path]);
  });

  it.each(generatedDirs)('%s/ holds nothing the sources do not produce', (dir) => {
    expect(listed(dir).filter((p) => !(p in files))).toEqual([]);
  });

  it('the CRD carries the CEL rules, defaults, printer columns and status subresource', () => {
    const crd = yaml.load(files['crds/salespipeline.io_salespipelines.yaml']!) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
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
    const docs = yaml.loadAll(files['crds/rbac.yaml']!) as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const role = docs.find((d) => d.kind === 'ClusterRole');
    const granted = role.rules.flatMap((r: { resources: string[] }) => r.resources);
    for (const k of ownedKinds) expect(granted).toContain(k.plural);
    expect(JSON.stringify(docs)).not.toContain('"*"');
  });
});
