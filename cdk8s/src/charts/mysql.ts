/**
 * MySQL: a one-replica StatefulSet, its headless Service, the credentials Secret, the server's init
 * file (per-app users and grants, run at every server start) and the apps' URL Secret (one key per app).
 */
import { createHash } from 'node:crypto';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import {
  commonLabels,
  mysqlSecretKeys,
  mysqlUsers,
  names,
  selectorLabels,
  type Context,
  type MysqlCredentials,
  type MysqlLogins,
} from './context.js';
import { placement, restrictedContainer, restrictedPod, scratchDirs } from './pods.js';

export const mysqlPort = 3306;
/** The mysql user and group of the official image (and of images/mariadb, built here). */
export const mysqlUid = 999;
// `data`, not `stringData`: server-side apply then owns and compares the stored field itself.
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Keys of the apps' URL Secret: each app reads MYSQL_URL from its own key. */
export const mysqlUrlKeys = { processor: 'processor-url', dashboard: 'dashboard-url' } as const;
export const mysqlInitFile = 'users.sql';
export const mysqlInitDir = '/etc/mysql/salespipeline-init';
export const initHashAnnotation = 'salespipeline.io/mysql-init-sha256';

/** A MySQL string literal (default sql_mode: backslash escapes). */
export const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
/** `db`.* for GRANT: `_` and `%` are wildcards in a grant's database name, so they are escaped. */
const grantTarget = (database: string) => `\`${database.replace(/[_%]/g, (c) => `\\${c}`)}\`.*`;

/**
 * The init file: idempotent SQL that creates (or re-passwords) the per-app users and sets their
 * grants. mysqld runs it at every start (--init-file), as the server itself, so an upgraded
 * StatefulSet or a fresh data directory end up the same. processor: what its consumer and its
 * migrations need; dashboard: SELECT only.
 */
export function mysqlInitSql(database: string, creds: MysqlCredentials): string {
  const user = (name: string) => `${sqlString(name)}@'%'`;
  const lines: string[] = [];
  for (const [name, password, privileges] of [
    [mysqlUsers.processor, creds.processorPassword, 'SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX'],
    [mysqlUsers.dashboard, creds.dashboardPassword, 'SELECT'],
  ] as const) {
    lines.push(
      `CREATE USER IF NOT EXISTS ${user(name)} IDENTIFIED BY ${sqlString(password)};`,
      `ALTER USER ${user(name)} IDENTIFIED BY ${sqlString(password)};`,
      `GRANT ${privileges} ON ${grantTarget(database)} TO ${user(name)};`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Server settings for the processor's workload (one small transaction per partition batch), valid for
 * both images (mysql:8.4 and images/mariadb). A batch is durable once its COMMIT returns: that is what
 * makes it effectively once, so the redo log is flushed at every commit (the default, stated here so
 * that nobody trades it away; it costs commit latency, not CPU: measured the same CPU with 2). The
 * binary log is off: nothing here reads it (one server, no replicas), InnoDB's redo log alone
 * recovers every committed transaction, and with it (sync_binlog=1, as mysql:8.4 has it by default)
 * the server spent 13–20 % more CPU per order in 2,000-order batches and 26–39 % more in 100-order
 * ones, and 2–5× the time (bench figures in the README). Turn it back on (and keep sync_binlog=1) for replicas or point-in-time recovery.
 */
export const mysqlServerSettings = ['--skip-log-bin', '--innodb-flush-log-at-trx-commit=1'];

export function mysqlUrl(user: string, password: string, host: string, database: string, port = mysqlPort): string {
  return `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
}

/** The apps' URL Secret (one key per app), for the StatefulSet or the external MySQL. */
function urlSecret(chart: Chart, ctx: Context, logins: MysqlLogins, host: string, port: number) {
  const { database } = ctx.spec.mysql;
  const url = (app: keyof MysqlLogins) =>
    b64(mysqlUrl(logins[app].username, logins[app].password, host, database, port));
  new k8s.KubeSecret(chart, 'url', {
    metadata: { name: names(ctx.owner.name).mysqlUrlSecret, labels: commonLabels(ctx.owner.name, 'mysql') },
    type: 'Opaque',
    data: { [mysqlUrlKeys.processor]: url('processor'), [mysqlUrlKeys.dashboard]: url('dashboard') },
  });
}

export function desiredMysql(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'mysql', { disableResourceNameHashes: true });
  const { mysql } = ctx.spec;
  if (mysql.external) {
    if (!ctx.observed.externalMysqlLogins) throw new Error('spec.mysql.external: the logins were not observed');
    urlSecret(chart, ctx, ctx.observed.externalMysqlLogins, mysql.external.host, mysql.external.port);
    return chart;
  }
  const initSql = mysqlSecrets(chart, ctx);
  mysqlService(chart, ctx);
  mysqlStatefulSet(chart, ctx, initSql);
  return chart;
}

/** The credentials (unless an existing Secret holds them), the init file and the apps' URLs; returns the init SQL. */
function mysqlSecrets(chart: Chart, ctx: Context): string {
  const n = names(ctx.owner.name);
  const { mysql } = ctx.spec;
  const labels = commonLabels(ctx.owner.name, 'mysql');
  const creds = ctx.observed.mysqlCredentials;
  if (!mysql.existingSecret) {
    new k8s.KubeSecret(chart, 'credentials', {
      metadata: { name: n.mysqlSecret, labels },
      type: 'Opaque',
      data: {
        [mysqlSecretKeys.rootPassword]: b64(creds.rootPassword),
        [mysqlSecretKeys.processorPassword]: b64(creds.processorPassword),
        [mysqlSecretKeys.dashboardPassword]: b64(creds.dashboardPassword),
        'processor-username': b64(mysqlUsers.processor),
        'dashboard-username': b64(mysqlUsers.dashboard),
      },
    });
  }
  const initSql = mysqlInitSql(mysql.database, creds);
  new k8s.KubeSecret(chart, 'init', {
    metadata: { name: n.mysqlInitSecret, labels },
    type: 'Opaque',
    data: { [mysqlInitFile]: b64(initSql) },
  });
  urlSecret(
    chart,
    ctx,
    {
      processor: { username: mysqlUsers.processor, password: creds.processorPassword },
      dashboard: { username: mysqlUsers.dashboard, password: creds.dashboardPassword },
    },
    `${n.mysql}.${ctx.owner.namespace}.svc`,
    mysqlPort,
  );
  return initSql;
}

function mysqlService(chart: Chart, ctx: Context) {
  const sp = ctx.owner.name;
  new k8s.KubeService(chart, 'service', {
    metadata: { name: names(sp).mysql, labels: commonLabels(sp, 'mysql') },
    spec: {
      clusterIp: 'None',
      selector: selectorLabels(sp, 'mysql'),
      ports: [{ name: 'mysql', port: mysqlPort, targetPort: k8s.IntOrString.fromString('mysql') }],
    },
  });
}

function mysqlStatefulSet(chart: Chart, ctx: Context, initSql: string) {
  const sp = ctx.owner.name;
  const n = names(sp);
  const { mysql } = ctx.spec;
  const labels = commonLabels(sp, 'mysql');
  const retention = ctx.spec.deletionPolicy === 'Delete' ? 'Delete' : 'Retain';
  // The server writes its socket and pid file in /run/mysqld and temporary tables in /tmp.
  const scratch = scratchDirs({ run: '/run/mysqld', tmp: '/tmp' });
  new k8s.KubeStatefulSet(chart, 'statefulset', {
    metadata: { name: n.mysql, labels },
    spec: {
      serviceName: n.mysql,
      replicas: 1,
      selector: { matchLabels: selectorLabels(sp, 'mysql') },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: 'Retain' },
      template: {
        // A changed init file (new users, new passwords of an existing Secret) restarts MySQL, which runs it.
        metadata: { labels, annotations: { [initHashAnnotation]: createHash('sha256').update(initSql).digest('hex') } },
        spec: {
          containers: [mysqlContainer(ctx, scratch.volumeMounts)],
          ...placement(ctx),
          // The image's mysql user (999) owns the data volume (fsGroup) and reads the init file.
          securityContext: restrictedPod(mysqlUid),
          volumes: [
            { name: 'init', secret: { secretName: n.mysqlInitSecret, defaultMode: 0o440 } },
            ...scratch.volumes,
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(mysql.storage.storageClassName ? { storageClassName: mysql.storage.storageClassName } : {}),
            resources: { requests: { storage: k8s.Quantity.fromString(mysql.storage.size) } },
          },
        },
      ],
    },
  });
}

function mysqlContainer(ctx: Context, scratchMounts: k8s.VolumeMount[]): k8s.Container {
  const { mysql } = ctx.spec;
  const credentialsSecret = mysql.existingSecret ?? names(ctx.owner.name).mysqlSecret;
  const fromSecret = (key: string) => ({ secretKeyRef: { name: credentialsSecret, key } });
  return {
    name: 'mysql',
    image: mysql.image,
    imagePullPolicy: mysql.imagePullPolicy,
    securityContext: restrictedContainer,
    ports: [{ name: 'mysql', containerPort: mysqlPort }],
    env: [
      { name: 'MYSQL_DATABASE', value: mysql.database },
      { name: 'MYSQL_ROOT_PASSWORD', valueFrom: fromSecret(mysqlSecretKeys.rootPassword) },
    ],
    // The per-app users and grants, at every start (also the first, during initialisation).
    args: [`--init-file=${mysqlInitDir}/${mysqlInitFile}`, ...mysqlServerSettings],
    readinessProbe: {
      tcpSocket: { port: k8s.IntOrString.fromString('mysql') },
      periodSeconds: 5,
    },
    resources: {
      requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('512Mi') },
      limits: { memory: k8s.Quantity.fromString('1Gi') },
    },
    volumeMounts: [
      { name: 'data', mountPath: '/var/lib/mysql' },
      { name: 'init', mountPath: mysqlInitDir, readOnly: true },
      ...scratchMounts,
    ],
  };
}
