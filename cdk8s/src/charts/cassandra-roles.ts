/**
 * The apps' own Cassandra roles (least privilege): the processor writes its keyspace, the dashboard
 * only reads it. K8ssandra provisions only the superuser, so the processor's `migrate` init container
 * logs in as the superuser and creates the roles from the passwords in `<name>-cassandra-roles`
 * (generated once by the operator); the apps log in with their role. An external Cassandra is not
 * the operator's to change: every app logs in with the credentials spec.cassandra.external names.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { cassandraNames } from './cassandra.js';
import { commonLabels, externalSecretKeys, fromSecret, type Context } from './context.js';

export type CassandraApp = 'processor' | 'dashboard';

/** Role names and the Secret's keys of their passwords. */
export const cassandraRoles = {
  secret: (sp: string) => `${sp}-cassandra-roles`,
  role: { processor: 'salespipeline_processor', dashboard: 'salespipeline_dashboard' },
  passwordKey: { processor: 'processor-password', dashboard: 'dashboard-password' },
} as const satisfies {
  secret: (sp: string) => string;
  role: Record<CassandraApp, string>;
  passwordKey: Record<CassandraApp, string>;
};

/** Who an app logs in to Cassandra as: its role, or (the migration) the superuser. */
export function cassandraLogin(ctx: Context, as: CassandraApp | 'superuser'): k8s.EnvVar[] {
  const { cassandra } = ctx.spec;
  if (cassandra.external) {
    const secret = cassandra.external.credentialsSecretName;
    return secret
      ? [
          { name: 'CASSANDRA_USERNAME', ...fromSecret(secret, externalSecretKeys.username) },
          { name: 'CASSANDRA_PASSWORD', ...fromSecret(secret, externalSecretKeys.password) },
        ]
      : [];
  }
  if (as === 'superuser') {
    const superuser = cassandraNames(cassandra.clusterName, cassandra.datacenter.name).superuserSecret;
    return [
      { name: 'CASSANDRA_USERNAME', ...fromSecret(superuser, 'username') },
      { name: 'CASSANDRA_PASSWORD', ...fromSecret(superuser, 'password') },
    ];
  }
  return [
    { name: 'CASSANDRA_USERNAME', value: cassandraRoles.role[as] },
    {
      name: 'CASSANDRA_PASSWORD',
      ...fromSecret(cassandraRoles.secret(ctx.owner.name), cassandraRoles.passwordKey[as]),
    },
  ];
}

/** What `migrate` needs to create or update the roles. */
export function cassandraRolesToCreate(ctx: Context): k8s.EnvVar[] {
  if (ctx.spec.cassandra.external) return [];
  const secret = cassandraRoles.secret(ctx.owner.name);
  return [
    { name: 'CASSANDRA_PROCESSOR_ROLE', value: cassandraRoles.role.processor },
    { name: 'CASSANDRA_PROCESSOR_ROLE_PASSWORD', ...fromSecret(secret, cassandraRoles.passwordKey.processor) },
    { name: 'CASSANDRA_DASHBOARD_ROLE', value: cassandraRoles.role.dashboard },
    { name: 'CASSANDRA_DASHBOARD_ROLE_PASSWORD', ...fromSecret(secret, cassandraRoles.passwordKey.dashboard) },
  ];
}

/** The roles' Secret, when the passwords were observed (or generated) for this apply. */
export function cassandraRolesSecret(chart: Chart, ctx: Context): void {
  const passwords = ctx.observed.cassandraRolePasswords;
  if (!passwords || ctx.spec.cassandra.external) return;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  new k8s.KubeSecret(chart, 'cassandra-roles', {
    metadata: { name: cassandraRoles.secret(ctx.owner.name), labels: commonLabels(ctx.owner.name, 'cassandra') },
    type: 'Opaque',
    data: {
      [cassandraRoles.passwordKey.processor]: b64(passwords.processor),
      [cassandraRoles.passwordKey.dashboard]: b64(passwords.dashboard),
      'processor-role': b64(cassandraRoles.role.processor),
      'dashboard-role': b64(cassandraRoles.role.dashboard),
    },
  });
}
