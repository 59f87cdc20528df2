/**
 * The Helm chart (charts/salespipeline-operator) and the plain manifests (k8s/) against the REAL helm
 * binary and the REAL kube-apiserver (scripts/infra/kube.sh), with the Strimzi/K8ssandra/Prometheus
 * Operator CRDs installed:
 * - helm lint; helm template with default and edge-case values; values.schema.json rejections;
 * - the rendered chart and k8s/ applied with server-side dry-run, then for real;
 * - the operator process (operator/dist/main.js) started with the environment of the chart's rendered
 *   Deployment, authenticated as the chart's ServiceAccount (a TokenRequest token, so the chart's RBAC
 *   is what is tested), reconciles the k8s/samples/dev SalesPipeline;
 * - the pre-delete hook's command, run with the hook's own ServiceAccount, deletes it and waits for
 *   the operator's teardown.
 * Nothing runs the containers (kwok): the operator runs here as a process, as it would in its pod.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { freePort, testKubeconfigPath } from '@salespipeline/shared/testing';
import { finalizer, operatorEnv, operatorImage, operatorRules, salesPipelineCrd } from '@salespipeline/cdk8s';
import { objectPath, type KubeRest } from '@salespipeline/operator';
import {
  createNamespace,
  deleteNamespace,
  get,
  installCrds,
  ok,
  run,
  spPath,
  testRest,
  waitFor,
} from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
jest.setTimeout(150_000);

const repo = join(import.meta.dirname, '..', '..');
const chart = join(repo, 'charts', 'salespipeline-operator');
const artifacts = join(repo, 'test-artifacts');
const tmp = mkdtempSync(join(tmpdir(), 'sp-chart-'));

let bin: string;
let helm: string;
let kubectl: string;
const adminEnv = () => ({ ...process.env, KUBECONFIG: testKubeconfigPath() });

const docs = (text: string) => (yaml.loadAll(text) as any[]).filter((d) => d && typeof d === 'object');
const find = (list: any[], kind: string, name?: string) =>
  list.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
const template = async (args: string[]) => docs(await ok(helm, ['template', ...args, chart]));

let rest: KubeRest;
let opNs: string; // the release namespace
let spNs: string; // the namespace the chart's operator watches
let k8sNs: string; // k8s/operator applied here (kustomize overlay)
const release = `sp${Date.now().toString(36)}`;
const suffix = `-${release}`;
let operator: ChildProcess | undefined;

/** A kubeconfig that authenticates as a ServiceAccount with a token from the TokenRequest API. */
async function serviceAccountKubeconfig(ns: string, sa: string): Promise<string> {
  const tr = await rest.request<any>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const admin = yaml.load(readFileSync(testKubeconfigPath(), 'utf8')) as any;
  const current = admin.contexts.find((c: any) => c.name === admin['current-context']).context;
  const cluster = admin.clusters.find((c: any) => c.name === current.cluster).cluster;
  const path = join(tmp, `${ns}-${sa}.kubeconfig`);
  writeFileSync(
    path,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: sa, user: { token: tr.status.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'c', user: sa, namespace: ns } }],
      'current-context': 'sa',
    }),
  );
  return path;
}

beforeAll(async () => {
  bin = (await ok(join(repo, 'scripts/infra/kube.sh'), ['bin-dir'])).trim();
  helm = join(bin, 'helm');
  kubectl = join(bin, 'kubectl');
  for (const b of [helm, kubectl])
    if (!existsSync(b)) throw new Error(`${b} missing: run scripts/infra/kube.sh install (or make setup)`);
  rest = testRest();
  await installCrds(rest);
  opNs = await createNamespace(rest, 'chart-op');
  spNs = await createNamespace(rest, 'chart-sp');
  k8sNs = `k8s-${release}`;
});

afterAll(async () => {
  if (operator && operator.exitCode === null) {
    operator.kill('SIGTERM');
    await new Promise((r) => operator!.once('exit', r));
  }
  for (const ns of [spNs, opNs, k8sNs]) if (ns) await deleteNamespace(rest, ns);
  // Cluster-scoped objects of the release and of the k8s/ overlay.
  for (const kind of ['clusterrolebindings', 'clusterroles']) {
    await rest
      .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/${kind}`, {
        query: { labelSelector: `app.kubernetes.io/instance=${release}` },
      })
      .catch(() => undefined);
    for (const name of [`salespipeline-operator${suffix}`])
      await rest.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/${kind}/${name}`).catch(() => undefined);
  }
  rmSync(tmp, { recursive: true, force: true });
});

const edgeValues = () => ({
  fullnameOverride: 'a'.repeat(63),
  replicaCount: 3,
  watchNamespace: 'shop-team',
  image: { repository: 'registry.example.com/sp/operator', tag: 'v0.2.0-rc.1' },
  imagePullSecrets: [{ name: 'regcred' }],
  leaderElection: { enabled: true, leaseName: 'sp-lock', leaseDurationSeconds: 30 },
  metrics: { port: 9443, serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'kps' } } },
  grafanaDashboards: { label: 'grafana.com/dashboard', labelValue: 'salespipeline', namespace: 'monitoring' },
  serviceAccount: { create: true, name: 'custom-sa', annotations: { 'iam.example.com/role': 'x' } },
  extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=200' }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
  resources: { requests: { cpu: 1, memory: '128Mi' }, limits: { memory: '1Gi' } },
});

describe('Helm chart: lint, template, schema', () => {
  it('helm lint --strict passes with the default and with edge-case values', async () => {
    writeFileSync(join(tmp, 'edge.yaml'), yaml.dump(edgeValues()));
    await ok(helm, ['lint', '--strict', chart]);
    // (lint has no --api-versions: the ServiceMonitor, which needs the CRD, is rendered in the next test)
    await ok(helm, [
      'lint',
      '--strict',
      chart,
      '-f',
      join(tmp, 'edge.yaml'),
      '--set',
      'metrics.serviceMonitor.enabled=false',
    ]);
  });

  it('default values: operator Deployment as in k8s/ (same constructs), RBAC from rbac.ts, dashboards, hook', async () => {
    const out = await template(['r1', '--namespace', 'ops', '--include-crds']);
    expect(find(out, 'CustomResourceDefinition')).toEqual(JSON.parse(JSON.stringify(salesPipelineCrd())));
    const d = find(out, 'Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe(operatorImage); // the chart's default image is the one `make images` tags
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } });
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    // Same settings as the cdk8s install (k8s/operator), plus the queue knobs.
    const names = (env: any[]) => env.map((e) => e.name).sort();
    expect(names(c.env)).toEqual(names([...operatorEnv(), { name: 'QUEUE_QPS' }, { name: 'QUEUE_BURST' }]));
    expect(c.env.find((e: any) => e.name === 'LEADER_ELECTION_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe(
      'metadata.namespace',
    );
    expect(pod.serviceAccountName).toBe('r1-salespipeline-operator');
    expect(find(out, 'ClusterRole', 'r1-salespipeline-operator').rules).toEqual(operatorRules().cluster);
    expect(find(out, 'Role', 'r1-salespipeline-operator-leader-election').rules).toEqual(
      operatorRules().leaderElection,
    );
    expect(find(out, 'ClusterRoleBinding', 'r1-salespipeline-operator').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'r1-salespipeline-operator', namespace: 'ops' },
    ]);
    expect(JSON.stringify(out.filter((o) => /Role/.test(o.kind)))).not.toContain('"*"');
    expect(find(out, 'Service').spec.ports[0]).toMatchObject({ port: 8080, targetPort: 'metrics' });
    expect(find(out, 'ServiceMonitor')).toBeUndefined();
    expect(find(out, 'PrometheusRule')).toBeUndefined();
    const boards = out.filter((o) => o.kind === 'ConfigMap');
    expect(boards.map((b) => b.metadata.name).sort()).toEqual([
      'r1-salespipeline-operator-dashboard-operations',
      'r1-salespipeline-operator-dashboard-sales',
    ]);
    for (const b of boards) {
      expect(b.metadata.labels.grafana_dashboard).toBe('1');
      const [file, json] = Object.entries(b.data)[0] as [string, string];
      expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(chart, 'dashboards', file), 'utf8')));
    }
    const job = find(out, 'Job');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-delete');
    expect(job.spec.template.spec.containers[0].command).toEqual([
      'kubectl',
      'delete',
      'salespipelines.salespipeline.io',
      '--all',
      '--all-namespaces',
      '--ignore-not-found',
      '--wait=true',
      '--timeout=280s',
    ]);
    expect(job.spec.template.spec.containers[0].image).toBe('registry.k8s.io/kubectl:v1.35.4');
    for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'])
      expect(find(out, kind, 'r1-salespipeline-operator-cleanup').metadata.annotations['helm.sh/hook']).toBe(
        'pre-delete',
      );
  });

  it('edge-case values: one watched namespace (RoleBindings), 63-char names, ServiceMonitor, custom labels', async () => {
    const out = await template([
      'r2',
      '--namespace',
      'ops',
      '-f',
      join(tmp, 'edge.yaml'),
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    for (const o of out) expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    const d = find(out, 'Deployment');
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      WATCH_NAMESPACE: 'shop-team',
      LEADER_ELECTION_ID: 'sp-lock',
      LEASE_DURATION_SECONDS: '30',
      METRICS_PORT: '9443',
      NODE_OPTIONS: '--max-old-space-size=200',
    });
    expect(d.spec.replicas).toBe(3);
    expect(c.image).toBe('registry.example.com/sp/operator:v0.2.0-rc.1');
    expect(c.resources.requests.cpu).toBe(1);
    expect(d.spec.template.spec.serviceAccountName).toBe('custom-sa');
    expect(d.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(d.spec.template.spec.tolerations).toHaveLength(1);
    // The operator's rules apply in the watched namespace only; no ClusterRoleBinding at all.
    expect(find(out, 'ClusterRoleBinding')).toBeUndefined();
    const bindings = out.filter((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'shop-team');
    expect(bindings.map((b) => b.roleRef.kind).sort()).toEqual(['ClusterRole', 'ClusterRole']); // operator + cleanup
    expect(find(out, 'Job').spec.template.spec.containers[0].command).toContain('--namespace=shop-team');
    const sm = find(out, 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('kps');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', interval: '15s' });
    for (const cm of out.filter((o) => o.kind === 'ConfigMap')) {
      expect(cm.metadata.namespace).toBe('monitoring');
      expect(cm.metadata.labels['grafana.com/dashboard']).toBe('salespipeline');
    }
    // Optional parts off.
    const off = await template([
      'r3',
      '--set',
      'grafanaDashboards.enabled=false,cleanupHook.enabled=false,rbac.create=false,serviceAccount.create=false,serviceAccount.name=existing,leaderElection.enabled=false',
    ]);
    expect(off.map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(find(off, 'Deployment').spec.template.spec.serviceAccountName).toBe('existing');
  });

  it('a ServiceMonitor without the Prometheus Operator CRD fails with a clear message', async () => {
    const r = await run(helm, ['template', 'r4', chart, '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('metrics.serviceMonitor.enabled needs the Prometheus Operator');
  });

  it('a PrometheusRule with the labels and exactly the groups of rules/salespipeline-alerts.yml', async () => {
    const out = await template([
      'r5',
      '--namespace',
      'ops',
      '--set',
      'metrics.prometheusRule.enabled=true,metrics.prometheusRule.labels.release=kps',
      '--api-versions',
      'monitoring.coreos.com/v1/PrometheusRule',
    ]);
    const rule = find(out, 'PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata).toMatchObject({ name: 'r5-salespipeline-operator', namespace: 'ops' });
    expect(rule.metadata.labels).toMatchObject({ release: 'kps', 'app.kubernetes.io/instance': 'r5' });
    // The one source: the file the local Prometheus loads too (operator/test/alerts.test.ts tests it).
    const file = yaml.load(readFileSync(join(chart, 'rules', 'salespipeline-alerts.yml'), 'utf8')) as any;
    expect(rule.spec).toEqual({ groups: file.groups });
    expect(rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert))).toEqual([
      'SalesPipelineOffsetGap',
      'SalesPipelineTopicReset',
      'SalesPipelineDeadLetters',
    ]);
    // The chart package carries the rules, not their unit tests.
    const pkg = join(tmp, 'pkg');
    mkdirSync(pkg, { recursive: true });
    await ok(helm, ['package', '--destination', pkg, chart]);
    const [tgz] = readdirSync(pkg).filter((f) => f.endsWith('.tgz'));
    const files = await ok('tar', ['-tzf', join(pkg, tgz!)]);
    expect(files).toContain('salespipeline-operator/rules/salespipeline-alerts.yml');
    expect(files).not.toContain('salespipeline-alerts.test.yml');
  });

  it('a PrometheusRule without the Prometheus Operator CRD fails with a clear message', async () => {
    const r = await run(helm, ['template', 'r6', chart, '--set', 'metrics.prometheusRule.enabled=true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "metrics.prometheusRule.enabled needs the Prometheus Operator's PrometheusRule CRD (monitoring.coreos.com/v1)",
    );
  });

  it.each([
    ['replicaCount=-1', "at '/replicaCount': minimum"],
    ['replicaCount=2,leaderElection.enabled=false', "at '/leaderElection/enabled': value must be true"],
    ['image.pullPolicy=Sometimes', "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'"],
    ['metrics.port=70000', "at '/metrics/port': maximum"],
    ['watchNamespace=Shop_Team', "at '/watchNamespace': 'Shop_Team' does not match pattern"],
    ['podSecurityContext.runAsNonRoot=false', "at '/podSecurityContext/runAsNonRoot': value must be true"],
    ['resources.limits.memory=lots', "at '/resources/limits/memory': 'lots' does not match pattern"],
    ['replicas=3', "additional properties 'replicas' not allowed"],
    ['cleanupHook.timeoutSeconds=1', "at '/cleanupHook/timeoutSeconds': minimum"],
    ['logLevel=verbose', "at '/logLevel': value must be one of"],
    ['metrics.prometheusRule.enabled=yes', "at '/metrics/prometheusRule/enabled': got string, want boolean"],
  ])('values.schema.json rejects %s', async (set, message) => {
    const r = await run(helm, ['template', 'bad', chart, '--set', set]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(message);
  });
});

describe('Helm chart on the real kube-apiserver', () => {
  let rendered: any[];
  let metricsPort: number;
  let operatorKubeconfig: string;
  const fullname = `${release}-salespipeline-operator`;
  const podName = `${fullname}-7d4b9c-x2v9q`;
  let logFile: string;

  const apply = (objects: any[], dryRun: boolean, env = adminEnv()) =>
    ok(
      kubectl,
      [
        'apply',
        '--server-side',
        '--field-manager=chart-test',
        ...(dryRun ? ['--dry-run=server'] : []),
        '-o',
        'name',
        '-f',
        '-',
      ],
      { input: objects.map((o) => JSON.stringify(o)).join('\n'), env },
    );

  it('the rendered chart passes server-side dry-run, then applies for real', async () => {
    metricsPort = await freePort();
    rendered = await template([
      release,
      '--namespace',
      opNs,
      '--set',
      `watchNamespace=${spNs},metrics.port=${metricsPort},metrics.service.port=${metricsPort}`,
      '--set',
      'resyncSeconds=5,leaderElection.leaseDurationSeconds=4,leaderElection.renewDeadlineSeconds=3,leaderElection.retryPeriodSeconds=0.5',
    ]);
    const dry = await apply(rendered, true);
    expect(dry.trim().split('\n')).toHaveLength(rendered.length);
    // The hook Job is created by Helm only on uninstall; its ServiceAccount and RBAC are applied for real
    // so that the test below can run the hook's command with them.
    const created = await apply(
      rendered.filter((o) => o.kind !== 'Job'),
      false,
    );
    expect(created).toContain(`deployment.apps/${fullname}`);
    expect(created).toContain(`rolebinding.rbac.authorization.k8s.io/${fullname}`);
    const d = await get(rest, objectPath('apps/v1', 'deployments', opNs, fullname));
    expect(d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('the operator, started from the rendered Deployment’s command and environment as its ServiceAccount, reconciles k8s/samples/dev', async () => {
    const dist = join(repo, 'operator', 'dist', 'main.js');
    if (!existsSync(dist)) throw new Error(`${dist} missing: run npx tsc -b`);
    const container = find(rendered, 'Deployment').spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const e of container.env) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      env[e.name] =
        field === 'metadata.namespace'
          ? opNs
          : field === 'metadata.name'
            ? podName
            : field
              ? (() => {
                  throw new Error(`unexpected fieldRef ${field}`);
                })()
              : e.value;
    }
    operatorKubeconfig = await serviceAccountKubeconfig(opNs, find(rendered, 'ServiceAccount', fullname).metadata.name);
    mkdirSync(artifacts, { recursive: true });
    logFile = join(artifacts, 'chart-operator.log');
    const log = openSync(logFile, 'w');
    // The image runs `node operator/dist/main.js` (operator/Dockerfile) with the container's args.
    operator = spawn(process.execPath, [dist, ...(container.args ?? [])], {
      env: { PATH: process.env.PATH, ...env, KUBECONFIG: operatorKubeconfig },
      stdio: ['ignore', log, log],
    });
    const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    await waitFor(
      async () => {
        if (operator!.exitCode !== null) throw new Error(`operator exited ${operator!.exitCode}:\n${tail()}`);
        return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok;
      },
      { what: `operator /readyz on ${metricsPort}`, timeoutMs: 30_000 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${tail()}`);
    });
    // It leads through the chart's Lease, in the release namespace, under its pod name.
    const lease = await waitFor(() => get(rest, objectPath('coordination.k8s.io/v1', 'leases', opNs, fullname)), {
      what: 'lease',
    });
    expect(lease.spec.holderIdentity).toBe(podName);
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);

    // The dev sample, as `kubectl apply -k k8s/samples/dev` builds it, in the watched namespace.
    const built = docs(await ok(kubectl, ['kustomize', join(repo, 'k8s', 'samples', 'dev')]));
    const sp = find(built, 'SalesPipeline', 'dev');
    await apply([{ ...sp, metadata: { ...sp.metadata, namespace: spNs } }], false);
    const children = [
      objectPath('kafka.strimzi.io/v1beta2', 'kafkas', spNs, 'dev'),
      objectPath('kafka.strimzi.io/v1beta2', 'kafkanodepools', spNs, 'dev-pool'),
      objectPath('kafka.strimzi.io/v1beta2', 'kafkatopics', spNs, 'dev-orders'),
      objectPath('k8ssandra.io/v1alpha1', 'k8ssandraclusters', spNs, 'dev'),
      objectPath('apps/v1', 'statefulsets', spNs, 'dev-mysql'),
      objectPath('apps/v1', 'deployments', spNs, 'dev-ingest'),
      objectPath('apps/v1', 'deployments', spNs, 'dev-processor'),
      objectPath('apps/v1', 'deployments', spNs, 'dev-dashboard'),
    ];
    for (const path of children) {
      const obj = await waitFor(() => get(rest, path), { what: path, timeoutMs: 30_000 }).catch((err) => {
        throw new Error(`${(err as Error).message}\n${tail()}`);
      });
      expect(obj.metadata.ownerReferences[0]).toMatchObject({ kind: 'SalesPipeline', name: 'dev' });
    }
    expect((await get(rest, children[1]!)).spec.replicas).toBe(1); // the sample's one broker
    const stored = await waitFor(
      async () => {
        const s = await get(rest, spPath(spNs, 'dev'));
        return s?.status?.phase && s;
      },
      { what: 'status.phase' },
    );
    expect(stored.metadata.finalizers).toContain(finalizer);
    expect(['Pending', 'Provisioning']).toContain(stored.status.phase);
    expect(stored.status.conditions.map((c: any) => c.type)).toContain('KafkaReady');
    // The metrics endpoint the Service and ServiceMonitor point at.
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toMatch(/^# HELP/m);
  });

  it('the chart’s RBAC is least privilege: the watched namespace only, no deleting SalesPipelines', async () => {
    const canI = async (kubeconfig: string, ...args: string[]) =>
      (
        await run(kubectl, ['auth', 'can-i', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig } })
      ).stdout.trim();
    expect(await canI(operatorKubeconfig, 'create', 'deployments.apps', '-n', spNs)).toBe('yes');
    expect(await canI(operatorKubeconfig, 'create', 'deployments.apps', '-n', 'default')).toBe('no');
    expect(await canI(operatorKubeconfig, 'delete', 'salespipelines.salespipeline.io', '-n', spNs)).toBe('no');
    expect(await canI(operatorKubeconfig, 'get', 'secrets', '-n', 'kube-system')).toBe('no');
    expect(await canI(operatorKubeconfig, 'update', 'leases.coordination.k8s.io', '-n', opNs)).toBe('yes');
  });

  it('pre-delete hook: its command, with its own ServiceAccount, deletes the SalesPipelines and waits for the teardown', async () => {
    const job = find(rendered, 'Job');
    const hookSa = job.spec.template.spec.serviceAccountName;
    const kubeconfig = await serviceAccountKubeconfig(opNs, hookSa);
    const hookEnv = { ...process.env, KUBECONFIG: kubeconfig };
    expect(
      (await run(kubectl, ['auth', 'can-i', 'delete', 'deployments.apps', '-n', spNs], { env: hookEnv })).stdout.trim(),
    ).toBe('no');
    const [cmd, ...args] = job.spec.template.spec.containers[0].command as string[];
    expect(cmd).toBe('kubectl');
    const out = await ok(kubectl, args, { env: hookEnv });
    expect(out).toContain('salespipeline.salespipeline.io "dev" deleted');
    // kubectl returned only once the SalesPipeline was gone: the operator tore everything down first.
    expect(await get(rest, spPath(spNs, 'dev'))).toBeUndefined();
    for (const [plural, name] of [
      ['deployments', 'dev-ingest'],
      ['statefulsets', 'dev-mysql'],
    ] as const)
      expect(await get(rest, objectPath('apps/v1', plural, spNs, name))).toBeUndefined();
    expect(await get(rest, objectPath('kafka.strimzi.io/v1beta2', 'kafkas', spNs, 'dev'))).toBeUndefined();
    // Nothing left: a second run is a no-op.
    expect(await ok(kubectl, args, { env: hookEnv })).not.toContain('deleted');
  });
});

describe('k8s/ manifests on the real kube-apiserver', () => {
  it('k8s/operator builds with kustomize to the synthesized objects', async () => {
    const built = docs(await ok(kubectl, ['kustomize', join(repo, 'k8s', 'operator')]));
    expect(built.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'Deployment', 'Service']),
    );
    expect(find(built, 'CustomResourceDefinition')).toEqual(JSON.parse(JSON.stringify(salesPipelineCrd())));
  });

  it('k8s/operator (in a unique namespace via an overlay) passes server-side dry-run, then applies for real', async () => {
    const overlay = join(tmp, 'overlay');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      yaml.dump({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: k8sNs,
        nameSuffix: suffix,
        resources: [join(repo, 'k8s', 'operator', 'operator.yaml')],
      }),
    );
    const manifests = await ok(kubectl, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', overlay]);
    const objects = docs(manifests);
    expect(find(objects, 'Namespace').metadata.name).toBe(k8sNs);
    const input = { input: manifests, env: adminEnv() };
    // The CRD: dry-run and real apply (it is the one crds/ holds, so nothing changes).
    const crdFile = join(repo, 'k8s', 'operator', 'crd.yaml');
    await ok(kubectl, ['apply', '--server-side', '--field-manager=chart-test', '--dry-run=server', '-f', crdFile], {
      env: adminEnv(),
    });
    await ok(kubectl, ['apply', '--server-side', '--field-manager=chart-test', '-f', crdFile], { env: adminEnv() });
    // The namespace must exist before a dry-run of objects in it.
    await ok(kubectl, ['create', 'namespace', k8sNs], { env: adminEnv() });
    await ok(kubectl, ['apply', '--server-side', '--field-manager=chart-test', '--dry-run=server', '-f', '-'], input);
    const out = await ok(kubectl, ['apply', '--server-side', '--field-manager=chart-test', '-f', '-'], input);
    expect(out).toContain(`deployment.apps/salespipeline-operator${suffix} serverside-applied`);
    const crb = await get(
      rest,
      objectPath('rbac.authorization.k8s.io/v1', 'clusterrolebindings', '', `salespipeline-operator${suffix}`),
    );
    expect(crb.subjects[0]).toEqual({
      kind: 'ServiceAccount',
      name: `salespipeline-operator${suffix}`,
      namespace: k8sNs,
    });
    const d = await get(rest, objectPath('apps/v1', 'deployments', k8sNs, `salespipeline-operator${suffix}`));
    expect(d.spec.template.spec.serviceAccountName).toBe(`salespipeline-operator${suffix}`);
    // The ReplicaSet controller creates the pod: the pod template passes admission as written.
    const pods = await waitFor(
      async () => {
        const list = await rest.request<any>('GET', `/api/v1/namespaces/${k8sNs}/pods`);
        return list.items.length > 0 && list.items;
      },
      { what: 'k8s/ operator pod created', timeoutMs: 30_000 },
    );
    expect(pods[0].spec.serviceAccountName).toBe(`salespipeline-operator${suffix}`);
    expect(pods[0].spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pods[0].spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it.each(['dev', 'production'])(
    'k8s/samples/%s validates against the CRD (server-side dry-run), then applies for real',
    async (folder) => {
      const built = docs(await ok(kubectl, ['kustomize', join(repo, 'k8s', 'samples', folder)]));
      expect(built.map((o) => o.kind)).toEqual(['Namespace', 'SalesPipeline']);
      const sp = find(built, 'SalesPipeline');
      const input = JSON.stringify({ ...sp, metadata: { ...sp.metadata, namespace: k8sNs, name: `s-${folder}` } });
      const args = ['apply', '--server-side', '--field-manager=chart-test', '-f', '-'];
      await ok(kubectl, [...args, '--dry-run=server'], { input, env: adminEnv() });
      await ok(kubectl, args, { input, env: adminEnv() });
      const stored = await get(rest, spPath(k8sNs, `s-${folder}`));
      // The apiserver defaulted the rest of the spec.
      expect(stored.spec.kafka.version).toBe('3.9.0');
      expect(stored.spec.kafka.replicas).toBe(sp.spec.kafka.replicas);
      // And rejects a broken one (processor.maxReplicas above the partitions).
      const bad = JSON.stringify({
        ...sp,
        metadata: { ...sp.metadata, namespace: k8sNs, name: `bad-${folder}` },
        spec: { ...sp.spec, processor: { ...sp.spec.processor, maxReplicas: 100 } },
      });
      const r = await run(kubectl, [...args, '--dry-run=server'], { input: bad, env: adminEnv() });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('processor.maxReplicas must not exceed kafka.topics.partitions');
    },
  );
});
