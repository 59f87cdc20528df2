/**
 * The apps' Cassandra roles (least privilege): created or updated by `migrate`, which runs as a
 * superuser; the apps log in with them. A password that no longer logs in is set again, so rotating
 * the Secret and re-running the migration rotates it; passwords are never logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type cassandra from 'cassandra-driver';
import type { Logger } from '@salespipeline/shared';

export interface AppRole {
  name: string;
  password: string;
}

/** What each app may do on the keyspace. */
export const rolePermissions = { processor: ['SELECT', 'MODIFY'], dashboard: ['SELECT'] } as const;

const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Cassandra refuses a second password change of a role within a few seconds (it says how long). */
const tooSoon = /can only be changed every (\d+)\s*ms/i;

/**
 * Creates each role, or sets its password when it cannot log in with the one given (a rotation);
 * grants its permissions. `canLogin` tries a login, so an unchanged password is never rewritten:
 * several migrations at once (one per starting pod) do not trip over Cassandra's limit on password
 * changes.
 */
export async function ensureCassandraRoles(
  client: cassandra.Client,
  keyspace: string,
  roles: Partial<Record<keyof typeof rolePermissions, AppRole>>,
  canLogin: (role: AppRole) => Promise<boolean>,
  logger: Logger,
): Promise<void> {
  for (const [app, role] of Object.entries(roles) as Array<[keyof typeof rolePermissions, AppRole | undefined]>) {
    if (!role) continue;
    const login = `WITH PASSWORD = ${quoted(role.password)} AND LOGIN = true AND SUPERUSER = false`;
    const exists =
      (await client.execute('SELECT role FROM system_auth.roles WHERE role = ?', [role.name], { prepare: true }))
        .rowLength > 0;
    if (!exists) await client.execute(`CREATE ROLE IF NOT EXISTS ${role.name} ${login}`, [], { prepare: false });
    for (let attempt = 1; !(await canLogin(role)); attempt++) {
      if (attempt > 5) throw new Error(`Cassandra role ${role.name} cannot log in after its password was set`);
      try {
        await client.execute(`ALTER ROLE ${role.name} ${login}`, [], { prepare: false });
        logger.info({ role: role.name }, 'Cassandra role password set');
      } catch (err) {
        const wait = tooSoon.exec(String(err));
        if (!wait || attempt >= 5) throw err;
        await sleep(Number(wait[1]));
      }
    }
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
