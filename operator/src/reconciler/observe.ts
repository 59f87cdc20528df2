/** Observe: the facts desired state needs that the spec does not hold (here: MySQL credentials). */
import { randomBytes } from 'node:crypto';
import {
  names,
  type MysqlCredentials,
  type Observed,
  type SalesPipeline,
  type SalesPipelineSpec,
} from '@salespipeline/cdk8s';
import { isNotFound, objectPath, type KubeRest } from '../kube/rest.js';

export class MissingSecretError extends Error {
  constructor(readonly secret: string) {
    super(`MySQL secret ${secret} not found or lacks username/password/root-password`);
    this.name = 'MissingSecretError';
  }
}

const password = () => randomBytes(18).toString('base64url');
const decode = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

async function readCredentials(rest: KubeRest, namespace: string, name: string): Promise<MysqlCredentials | undefined> {
  try {
    const secret = await rest.request<{ data?: Record<string, string> }>(
      'GET',
      objectPath('v1', 'secrets', namespace, name),
    );
    const [username, pw, root] = ['username', 'password', 'root-password'].map((k) => decode(secret.data?.[k]));
    return username && pw && root ? { username, password: pw, rootPassword: root } : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * MySQL credentials: from spec.mysql.existingSecret, else from the Secret the operator generated,
 * else new random ones (generated once; the Secret then keeps them). Read live, not from a cache,
 * so a lagging cache can never rotate a password.
 */
export async function observe(rest: KubeRest, sp: SalesPipeline, spec: SalesPipelineSpec): Promise<Observed> {
  const ns = sp.metadata.namespace;
  if (spec.mysql.existingSecret) {
    const creds = await readCredentials(rest, ns, spec.mysql.existingSecret);
    if (!creds) throw new MissingSecretError(spec.mysql.existingSecret);
    return { mysqlCredentials: creds };
  }
  const existing = await readCredentials(rest, ns, names(sp.metadata.name).mysqlSecret);
  return {
    mysqlCredentials: existing ?? { username: 'salespipeline', password: password(), rootPassword: password() },
  };
}
