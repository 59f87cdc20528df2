import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { checkSpec } from '../api/validate.js';
import { salesPipelineCrd } from '../crd.js';
import { chartDir, operatorRules } from '../generated.js';
import { operatorInstallObjects } from './operator.js';
import { samples } from './samples.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const root = join(import.meta.dirname, '..', '..', '..');

describe('k8s/ and the chart’s generated files', () => {
  it('the chart’s CRD is byte-identical to crds/ (one generator)', () => {
    const crd = 'crds/salespipeline.io_salespipelines.yaml';
    expect(readFileSync(join(root, chartDir, crd), 'utf8')).toBe(readFileSync(join(root, crd), 'utf8'));
  });

  it('the chart’s RBAC rules are those of crds/rbac.yaml', () => {
    const rbac = yaml.loadAll(readFileSync(join(root, 'crds/rbac.yaml'), 'utf8')) as any[];
    const chartRules = (f: string) => yaml.load(readFileSync(join(root, chartDir, 'files', f), 'utf8'));
    expect(chartRules('clusterrole-rules.yaml')).toEqual(rbac.find((d) => d.kind === 'ClusterRole').rules);
    expect(chartRules('leader-election-rules.yaml')).toEqual(rbac.find((d) => d.kind === 'Role').rules);
    expect(operatorRules().cluster.length).toBeGreaterThan(5);
  });

  it('k8s/operator carries the CRD as crd.ts generates it, and the Namespace first', () => {
    const objects = operatorInstallObjects();
    expect(objects[0]!.kind).toBe('Namespace');
    const crd = objects.find((o) => o.kind === 'CustomResourceDefinition');
    expect(crd).toEqual(JSON.parse(JSON.stringify(salesPipelineCrd())));
  });

  it('the operator Deployment: non-root, read-only root filesystem, probes, resources (its env: operator/src/config.test.ts)', () => {
    const deployment = operatorInstallObjects().find((o) => o.kind === 'Deployment') as any;
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.image).toBe('ghcr.io/salespipeline/operator:0.1.0');
    expect(pod.serviceAccountName).toBe('salespipeline-operator');
  });

  it.each(samples.map((s) => [s.folder, s] as const))('sample %s is a valid spec', (_folder, sample) => {
    const checked = checkSpec(sample.spec);
    expect(checked.ok ? [] : checked.problems).toEqual([]);
  });
});
