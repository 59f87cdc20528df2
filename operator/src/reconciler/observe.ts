/** Observe: the facts desired state needs that the spec does not hold (credentials the operator generates once). */
import { randomBytes } from 'node:crypto';
import {
  cassandraRoles,
  externalMysqlSecretKeys,
  ingestApiKeys,
  mysqlSecretKeys,
  names,
  type Observed,
  type SalesPipeline,
  type SalesPipelineSpec,
} from '@salespipeline/cdk8s';
import type { KubeClient } from '../kube/client.js';
import { resources, type KubeObject } from '../kube/objects.js';
import { TerminalError } from '../manager/errors.js';
import { recheckUnwatchedMs } from './errors.js';

/** A MySQL Secret the spec names is missing or incomplete: terminal until the user creates or fixes it. */
export class MissingSecretError extends TerminalError {
  constructor(
    readonly secret: string,
    readonly missingKeys: string[] = [],
    needs: string[] = Object.values(mysqlSecretKeys),
  ) {
    super(
      'MySQLSecretMissing',
      missingKeys.length > 0
        ? `MySQL secret ${secret} lacks the keys ${missingKeys.join(', ')} (needs ${needs.join(', ')})`
        : `MySQL secret ${secret} not found (needs the keys ${needs.join(', ')})`,
      recheckUnwatchedMs,
    );
    this.name = 'MissingSecretError';
  }
}

const password = () => randomBytes(18).toString('base64url');
const decode = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

/** The Secret's keys, decoded (empty values count as absent); undefined when the Secret does not exist. */
export async function readSecret(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>(resources.secret, namespace, name);
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries(secret.data ?? {})
      .map(([k, v]) => [k, decode(v) ?? ''] as const)
      .filter(([, v]) => v !== ''),
  );
}

/**
 * MySQL credentials: from spec.mysql.existingSecret (which must hold every key), else from the Secret
 * the operator generated, else new random ones (generated once; the Secret then keeps them). A
 * generated Secret of an older version (username/password/root-password) keeps its root password and
 * gains the per-app ones. Read live, not from a cache, so a lagging cache can never rotate a password.
 */
export async function observe(client: KubeClient, sp: SalesPipeline, spec: SalesPipelineSpec): Promise<Observed> {
  return {
    ...(await observeMysql(client, sp, spec)),
    ...(await observeIngestKey(client, sp, spec)),
    ...(await observeCassandraRoles(client, sp, spec)),
  };
}

/** Passwords of the apps' Cassandra roles: kept from their Secret, else generated (once); none for an external Cassandra. */
async function observeCassandraRoles(
  client: KubeClient,
  sp: SalesPipeline,
  spec: SalesPipelineSpec,
): Promise<Pick<Observed, 'cassandraRolePasswords'>> {
  if (spec.cassandra.external) return {};
  const data = (await readSecret(client, sp.metadata.namespace, cassandraRoles.secret(sp.metadata.name))) ?? {};
  return {
    cassandraRolePasswords: {
      processor: data[cassandraRoles.passwordKey.processor] ?? password(),
      dashboard: data[cassandraRoles.passwordKey.dashboard] ?? password(),
    },
  };
}

/**
 * The ingest API key the operator generated (kept in its Secret; generated once, when the Secret
 * has none); nothing with spec.ingest.apiKeysSecret, which the user manages.
 */
async function observeIngestKey(
  client: KubeClient,
  sp: SalesPipeline,
  spec: SalesPipelineSpec,
): Promise<Pick<Observed, 'ingestApiKey'>> {
  if (spec.ingest.apiKeysSecret) return {};
  const data = await readSecret(client, sp.metadata.namespace, ingestApiKeys.generatedSecret(sp.metadata.name));
  const prefix = `${ingestApiKeys.generatedName}:`;
  const kept = data?.[ingestApiKeys.secretKey]?.trim();
  return {
    ingestApiKey: kept?.startsWith(prefix) ? kept.slice(prefix.length) : randomBytes(24).toString('base64url'),
  };
}

/** spec.mysql.external: each app's user name and password, from the credentials Secret (every key required). */
async function observeExternalMysql(
  client: KubeClient,
  namespace: string,
  secret: string,
): Promise<NonNullable<Observed['externalMysqlLogins']>> {
  const needs = Object.values(externalMysqlSecretKeys).flatMap((k) => [k.username, k.password]);
  const data = await readSecret(client, namespace, secret);
  if (!data) throw new MissingSecretError(secret, [], needs);
  const missing = needs.filter((k) => !data[k]);
  if (missing.length > 0) throw new MissingSecretError(secret, missing, needs);
  const login = (app: keyof typeof externalMysqlSecretKeys) => ({
    username: data[externalMysqlSecretKeys[app].username]!,
    password: data[externalMysqlSecretKeys[app].password]!,
  });
  return { processor: login('processor'), dashboard: login('dashboard') };
}

async function observeMysql(
  client: KubeClient,
  sp: SalesPipeline,
  spec: SalesPipelineSpec,
): Promise<Pick<Observed, 'mysqlCredentials' | 'externalMysqlLogins'>> {
  const ns = sp.metadata.namespace;
  if (spec.mysql.external) {
    const logins = await observeExternalMysql(client, ns, spec.mysql.external.credentialsSecretName);
    // No server of ours: no root password; the apps' passwords are the external ones.
    return {
      externalMysqlLogins: logins,
      mysqlCredentials: {
        rootPassword: '',
        processorPassword: logins.processor.password,
        dashboardPassword: logins.dashboard.password,
      },
    };
  }
  if (spec.mysql.existingSecret) {
    const data = await readSecret(client, ns, spec.mysql.existingSecret);
    if (!data) throw new MissingSecretError(spec.mysql.existingSecret);
    const missing = Object.values(mysqlSecretKeys).filter((k) => !data[k]);
    if (missing.length > 0) throw new MissingSecretError(spec.mysql.existingSecret, missing);
    return {
      mysqlCredentials: {
        rootPassword: data[mysqlSecretKeys.rootPassword]!,
        processorPassword: data[mysqlSecretKeys.processorPassword]!,
        dashboardPassword: data[mysqlSecretKeys.dashboardPassword]!,
      },
    };
  }
  const data = (await readSecret(client, ns, names(sp.metadata.name).mysqlSecret)) ?? {};
  return {
    mysqlCredentials: {
      rootPassword: data[mysqlSecretKeys.rootPassword] ?? password(),
      processorPassword: data[mysqlSecretKeys.processorPassword] ?? password(),
      dashboardPassword: data[mysqlSecretKeys.dashboardPassword] ?? password(),
    },
  };
}
