/** Least-privilege RBAC for the operator, derived from the kinds it owns (kinds.ts). */
import { group, plural } from './api/schema.js';
import { apiGroupOf, fieldManager, ownedKinds } from './kinds.js';

export const operatorNamespace = 'salespipeline-system';
export const operatorName = fieldManager;

export function operatorRbac(namespace = operatorNamespace) {
  const byGroup = new Map<string, string[]>();
  for (const k of ownedKinds) {
    const g = apiGroupOf(k.apiVersion);
    byGroup.set(g, [...(byGroup.get(g) ?? []), k.plural]);
  }
  const children = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, resources]) => ({
      apiGroups: [g],
      resources: [...resources].sort(),
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    }));
  const metadata = (name: string, ns?: string) => ({
    name,
    ...(ns ? { namespace: ns } : {}),
    labels: { 'app.kubernetes.io/name': operatorName, 'app.kubernetes.io/part-of': 'salespipeline' },
  });
  const subject = { kind: 'ServiceAccount', name: operatorName, namespace };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', ...{ metadata: metadata(operatorName, namespace) } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(operatorName),
      rules: [
        { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
        { apiGroups: [group], resources: [`${plural}/status`], verbs: ['get', 'update', 'patch'] },
        // ownerReferences with blockOwnerDeletion need update on the owner's finalizers subresource.
        { apiGroups: [group], resources: [`${plural}/finalizers`], verbs: ['update'] },
        ...children,
        // PVCs are not owned (StatefulSets, Strimzi and cass-operator create them); deletionPolicy Delete removes them.
        { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list', 'delete'] },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: metadata(operatorName),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: operatorName },
      subjects: [subject],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: metadata(`${operatorName}-leader-election`, namespace),
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(`${operatorName}-leader-election`, namespace),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${operatorName}-leader-election` },
      subjects: [subject],
    },
  ];
}
