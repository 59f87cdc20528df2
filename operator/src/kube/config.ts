/**
 * Connection settings for the apiserver from a kubeconfig file or the in-cluster service account.
 * (Our own loader: @kubernetes/client-node 2.0.1 pulls undici 8, which cannot load on Node 20 —
 * zlib.createZstdDecompress is missing — so the operator does not import it at runtime.)
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';

export interface Connection {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** Returns the bearer token (re-read from file for rotating service-account tokens). */
  token?: () => string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Dict = Record<string, string | boolean | undefined>;

const fileOrData = (base: string, data: unknown, file: unknown): Buffer | undefined =>
  typeof data === 'string'
    ? Buffer.from(data, 'base64')
    : typeof file === 'string'
      ? readFileSync(resolve(base, file))
      : undefined;

export function connectionFromKubeconfig(path: string, contextName?: string): Connection {
  const doc = yaml.load(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: Array<Named<Dict>>;
    clusters?: Array<Named<Dict>>;
    users?: Array<Named<Dict>>;
  };
  const base = dirname(path);
  const ctxName = contextName ?? doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!context) throw new Error(`kubeconfig ${path}: no context ${ctxName ?? '(current-context unset)'}`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string')
    throw new Error(`kubeconfig ${path}: no cluster ${String(context.cluster)}`);
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  const token = typeof user.token === 'string' ? user.token : undefined;
  const tokenFile = typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined;
  return {
    server: cluster.server,
    ca: fileOrData(base, cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: fileOrData(base, user['client-certificate-data'], user['client-certificate']),
    key: fileOrData(base, user['client-key-data'], user['client-key']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(token ? { token: () => token } : tokenFile ? { token: () => readFileSync(tokenFile, 'utf8').trim() } : {}),
  };
}

const saDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterConnection(): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not in a cluster (KUBERNETES_SERVICE_HOST unset) and no KUBECONFIG given');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${saDir}/ca.crt`),
    token: () => readFileSync(`${saDir}/token`, 'utf8').trim(),
  };
}

export const loadConnection = (kubeconfig: string | undefined): Connection =>
  kubeconfig ? connectionFromKubeconfig(kubeconfig) : inClusterConnection();
