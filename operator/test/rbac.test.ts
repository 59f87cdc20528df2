/**
 * The operator's least-privilege RBAC on the real kube-apiserver: the checked-in crds/rbac.yaml (generated
 * from rbac.ts; a unit test keeps it fresh) is applied for a ServiceAccount in a unique namespace, and
 * SubjectAccessReviews (asked as the admin) check that the ServiceAccount may do everything the
 * operator does, and is refused the rest. A second ServiceAccount gets the same ClusterRole through a
 * RoleBinding in one namespace only (the chart's watchNamespace mode) and is refused everywhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { apiGroupOf, group, operatorName, operatorNamespace, ownedKinds, plural } from '@salespipeline/cdk8s';
import { collectionPath, objectPath, type KubeRest } from '@salespipeline/operator';
import { createNamespace, deleteNamespace, testRest, waitFor } from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
const repo = join(import.meta.dirname, '..', '..');
let rest: KubeRest;
let ns: string; // the operator's namespace
let watched: string; // a namespace with SalesPipelines (namespaced-mode binding)
let suffix: string;
const created: Array<{ apiVersion: string; plural: string; name: string }> = [];

interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
}
const show = (a: Access) =>
  `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''} in ${a.namespace || '(cluster)'}`;

async function allowed(sa: string, saNs: string, a: Access): Promise<boolean> {
  const review = await rest.request<any>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${saNs}:${sa}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${saNs}`, 'system:authenticated'],
        resourceAttributes: {
          verb: a.verb,
          resource: a.resource,
          group: a.group ?? '',
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.namespace ? { namespace: a.namespace } : {}),
        },
      },
    },
  });
  return review.status.allowed === true;
}

/** Every check, as "<access>: allowed|denied", so a failure names exactly what differs. */
const verdicts = async (sa: string, saNs: string, list: Access[]) =>
  Promise.all(list.map(async (a) => `${show(a)}: ${(await allowed(sa, saNs, a)) ? 'allowed' : 'denied'}`));

const crudVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** What the operator does: reconcile (SSA) and watch every owned kind, status, finalizers, teardown, events, leases. */
const needs = (app: string): Access[] => [
  ...ownedKinds.flatMap((k) =>
    crudVerbs.map((verb) => ({ verb, resource: k.plural, group: apiGroupOf(k.apiVersion), namespace: app })),
  ),
  // Informers across all namespaces.
  ...ownedKinds.flatMap((k) =>
    ['list', 'watch'].map((verb) => ({ verb, resource: k.plural, group: apiGroupOf(k.apiVersion) })),
  ),
  ...['get', 'list', 'watch', 'update', 'patch'].map((verb) => ({ verb, resource: plural, group, namespace: app })),
  ...['list', 'watch'].map((verb) => ({ verb, resource: plural, group })),
  ...['get', 'update', 'patch'].map((verb) => ({
    verb,
    resource: plural,
    group,
    subresource: 'status',
    namespace: app,
  })),
  { verb: 'update', resource: plural, group, subresource: 'finalizers', namespace: app },
  { verb: 'list', resource: 'persistentvolumeclaims', namespace: app },
  { verb: 'delete', resource: 'persistentvolumeclaims', namespace: app },
  { verb: 'create', resource: 'events', namespace: app },
  { verb: 'patch', resource: 'events', namespace: app },
  { verb: 'create', resource: 'events', group: 'events.k8s.io', namespace: app },
  ...['get', 'create', 'update'].map((verb) => ({
    verb,
    resource: 'leases',
    group: 'coordination.k8s.io',
    namespace: ns,
  })),
];

/** What it must never be able to do. */
const forbidden = (app: string): Access[] => [
  { verb: 'create', resource: plural, group, namespace: app },
  { verb: 'delete', resource: plural, group, namespace: app },
  { verb: 'deletecollection', resource: 'deployments', group: 'apps', namespace: app },
  { verb: 'delete', resource: 'namespaces' },
  { verb: 'create', resource: 'namespaces' },
  { verb: 'get', resource: 'nodes' },
  { verb: 'patch', resource: 'nodes' },
  { verb: 'create', resource: 'pods', namespace: app },
  { verb: 'get', resource: 'pods', namespace: app },
  { verb: 'create', resource: 'pods', subresource: 'exec', namespace: app },
  { verb: 'get', resource: 'pods', subresource: 'log', namespace: app },
  { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: app },
  { verb: 'impersonate', resource: 'users' },
  { verb: 'impersonate', resource: 'serviceaccounts', namespace: app },
  { verb: 'escalate', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
  { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' },
  { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' },
  { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: app },
  { verb: 'update', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io' },
  { verb: 'create', resource: 'validatingwebhookconfigurations', group: 'admissionregistration.k8s.io' },
  { verb: 'create', resource: 'persistentvolumes' },
  { verb: 'update', resource: 'persistentvolumeclaims', namespace: app },
  { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' },
  { verb: 'create', resource: 'jobs', group: 'batch', namespace: app },
  { verb: 'create', resource: 'roles', group: 'rbac.authorization.k8s.io', namespace: app },
];

async function createObj(obj: any) {
  const [apiVersion, kind] = [obj.apiVersion as string, obj.kind as string];
  const pluralOf: Record<string, string> = {
    ServiceAccount: 'serviceaccounts',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Role: 'roles',
    RoleBinding: 'rolebindings',
  };
  const p = pluralOf[kind]!;
  await rest.request('POST', collectionPath(apiVersion, p, obj.metadata.namespace ?? ''), { body: obj });
  if (!obj.metadata.namespace) created.push({ apiVersion, plural: p, name: obj.metadata.name });
}

beforeAll(async () => {
  rest = testRest();
  ns = await createNamespace(rest, 'rbac-op');
  watched = await createNamespace(rest, 'rbac-app');
  suffix = `-${ns}`;
  // crds/rbac.yaml as checked in, moved to the test namespace; cluster-scoped names made unique.
  const text = readFileSync(join(repo, 'crds', 'rbac.yaml'), 'utf8');
  const docs = (yaml.loadAll(text) as any[]).filter(Boolean);
  expect(docs.map((d) => d.kind)).toEqual([
    'ServiceAccount',
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
  ]);
  for (const d of docs) {
    if (d.metadata.namespace === operatorNamespace) d.metadata.namespace = ns;
    if (d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding') d.metadata.name += suffix;
    if (d.roleRef?.kind === 'ClusterRole') d.roleRef.name += suffix;
    for (const s of d.subjects ?? []) s.namespace = ns;
    await createObj(d);
  }
  // Namespaced mode: another ServiceAccount bound to the same ClusterRole in `watched` only.
  await createObj({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'scoped', namespace: ns } });
  await createObj({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'scoped', namespace: watched },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${operatorName}${suffix}` },
    subjects: [{ kind: 'ServiceAccount', name: 'scoped', namespace: ns }],
  });
  // The RBAC authorizer sees new bindings through its informers: wait until both are in effect.
  await waitFor(
    () => allowed(operatorName, ns, { verb: 'create', resource: 'deployments', group: 'apps', namespace: 'x' }),
    {
      what: 'ClusterRoleBinding in effect',
    },
  );
  await waitFor(() => allowed('scoped', ns, { verb: 'get', resource: 'secrets', namespace: watched }), {
    what: 'RoleBinding in effect',
  });
  // Roles come through another informer than bindings: wait for the leader-election Role too.
  await waitFor(
    () =>
      allowed(operatorName, ns, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: ns }),
    { what: 'leader-election Role in effect' },
  );
});

afterAll(async () => {
  for (const c of created)
    await rest.request('DELETE', objectPath(c.apiVersion, c.plural, '', c.name)).catch(() => undefined);
  await deleteNamespace(rest, ns);
  await deleteNamespace(rest, watched);
});

describe('operator RBAC (SubjectAccessReview on the real apiserver)', () => {
  it('the ServiceAccount may do everything the operator does, incl. KafkaUsers and NetworkPolicies', async () => {
    const list = needs('shop');
    expect(list.map(show)).toEqual(
      expect.arrayContaining([
        'patch kafkausers.kafka.strimzi.io in shop',
        'delete networkpolicies.networking.k8s.io in shop',
        'watch kafkausers.kafka.strimzi.io in (cluster)',
      ]),
    );
    const got = await verdicts(operatorName, ns, list);
    expect(got.filter((v) => !v.endsWith(': allowed'))).toEqual([]);
    expect(got.length).toBeGreaterThan(100);
  });

  it('and is refused the rest', async () => {
    const got = await verdicts(operatorName, ns, forbidden('shop'));
    expect(got.filter((v) => !v.endsWith(': denied'))).toEqual([]);
  });

  it('namespaced binding (watchNamespace): allowed in its namespace only; no Secrets elsewhere', async () => {
    const inside = await verdicts('scoped', ns, [
      { verb: 'create', resource: 'kafkausers', group: 'kafka.strimzi.io', namespace: watched },
      { verb: 'patch', resource: 'networkpolicies', group: 'networking.k8s.io', namespace: watched },
      { verb: 'get', resource: 'secrets', namespace: watched },
    ]);
    expect(inside.filter((v) => !v.endsWith(': allowed'))).toEqual([]);
    const outside = await verdicts('scoped', ns, [
      { verb: 'get', resource: 'secrets', namespace: 'kube-system' },
      { verb: 'list', resource: 'secrets' },
      { verb: 'create', resource: 'deployments', group: 'apps', namespace: 'default' },
      { verb: 'delete', resource: 'networkpolicies', group: 'networking.k8s.io', namespace: 'kube-system' },
      ...forbidden(watched),
    ]);
    expect(outside.filter((v) => !v.endsWith(': denied'))).toEqual([]);
  });

  it('cluster-wide mode reads Secrets in every namespace (it owns Secrets and watches them cluster-wide)', async () => {
    // A documented consequence of watching all namespaces, as for Strimzi: RBAC cannot narrow by label.
    // The chart's watchNamespace mode (previous test) is the least-privilege option.
    expect(await allowed(operatorName, ns, { verb: 'get', resource: 'secrets', namespace: 'kube-system' })).toBe(true);
  });
});
