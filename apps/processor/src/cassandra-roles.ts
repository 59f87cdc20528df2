/**
 * The apps' Cassandra roles (least privilege): created or updated by `migrate`, which runs as a
 * superuser; the apps log in with them. Passwords are set on every run, so rotating the Secret and
 * re-running the migration rotates them; they are never logged.
 */
import type cassandra from 'cassandra-driver';
import type { Logger } from '@salespipeline/shared';

export interface AppRole {
  name: string;
  password: string;
}

/** What each app may do on the keyspace. */
export const rolePermissions = { processor: ['SELECT', 'MODIFY'], dashboard: ['SELECT'] } as const;

const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function ensureCassandraRoles(
  client: cassandra.Client,
  keyspace: string,
  roles: Partial<Record<keyof typeof rolePermissions, AppRole>>,
  logger: Logger,
): Promise<void> {
  for (const [app, role] of Object.entries(roles) as Array<[keyof typeof rolePermissions, AppRole | undefined]>) {
    if (!role) continue;
    const login = `WITH PASSWORD = ${quoted(role.password)} AND LOGIN = true AND SUPERUSER = false`;
    await client.execute(`CREATE ROLE IF NOT EXISTS ${role.name} ${login}`, [], { prepare: false });
    await client.execute(`ALTER ROLE ${role.name} ${login}`, [], { prepare: false });
    for (const permission of rolePermissions[app])
      await client.execute(`GRANT ${permission} ON KEYSPACE ${keyspace} TO ${role.name}`, [], { prepare: false });
    logger.info({ role: role.name, keyspace, permissions: rolePermissions[app] }, 'Cassandra role ready');
  }
}

/** The roles whose passwords the configuration gives. */
export function appRoles(config: {
  cassandraProcessorRole: string;
  cassandraProcessorRolePassword: string | undefined;
  cassandraDashboardRole: string;
  cassandraDashboardRolePassword: string | undefined;
}): Partial<Record<keyof typeof rolePermissions, AppRole>> {
  const role = (name: string, password: string | undefined) => (password ? { name, password } : undefined);
  return {
    processor: role(config.cassandraProcessorRole, config.cassandraProcessorRolePassword),
    dashboard: role(config.cassandraDashboardRole, config.cassandraDashboardRolePassword),
  };
}
