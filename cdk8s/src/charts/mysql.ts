/** MySQL: a one-replica StatefulSet, its headless Service, the credentials Secret and the apps' URL Secret. */
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { commonLabels, names, selectorLabels, type Context } from './context.js';

export const mysqlPort = 3306;
// `data`, not `stringData`: server-side apply then owns and compares the stored field itself.
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function desiredMysql(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'mysql', { disableResourceNameHashes: true });
  const sp = ctx.owner.name;
  const n = names(sp);
  const { mysql } = ctx.spec;
  const labels = commonLabels(sp, 'mysql');
  const selector = selectorLabels(sp, 'mysql');
  const creds = ctx.observed.mysqlCredentials;
  const credentialsSecret = mysql.existingSecret ?? n.mysqlSecret;

  if (!mysql.existingSecret) {
    new k8s.KubeSecret(chart, 'credentials', {
      metadata: { name: n.mysqlSecret, labels },
      type: 'Opaque',
      data: { username: b64(creds.username), password: b64(creds.password), 'root-password': b64(creds.rootPassword) },
    });
  }
  const host = `${n.mysql}.${ctx.owner.namespace}.svc`;
  const url = `mysql://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@${host}:${mysqlPort}/${mysql.database}`;
  new k8s.KubeSecret(chart, 'url', {
    metadata: { name: n.mysqlUrlSecret, labels },
    type: 'Opaque',
    data: { url: b64(url) },
  });

  new k8s.KubeService(chart, 'service', {
    metadata: { name: n.mysql, labels },
    spec: {
      clusterIp: 'None',
      selector,
      ports: [{ name: 'mysql', port: mysqlPort, targetPort: k8s.IntOrString.fromString('mysql') }],
    },
  });

  const fromSecret = (key: string) => ({ secretKeyRef: { name: credentialsSecret, key } });
  const retention = ctx.spec.deletionPolicy === 'Delete' ? 'Delete' : 'Retain';
  new k8s.KubeStatefulSet(chart, 'statefulset', {
    metadata: { name: n.mysql, labels },
    spec: {
      serviceName: n.mysql,
      replicas: 1,
      selector: { matchLabels: selector },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: 'Retain' },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'mysql',
              image: mysql.image,
              ports: [{ name: 'mysql', containerPort: mysqlPort }],
              env: [
                { name: 'MYSQL_DATABASE', value: mysql.database },
                { name: 'MYSQL_USER', valueFrom: fromSecret('username') },
                { name: 'MYSQL_PASSWORD', valueFrom: fromSecret('password') },
                { name: 'MYSQL_ROOT_PASSWORD', valueFrom: fromSecret('root-password') },
              ],
              readinessProbe: {
                tcpSocket: { port: k8s.IntOrString.fromString('mysql') },
                periodSeconds: 5,
              },
              resources: {
                requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('512Mi') },
                limits: { memory: k8s.Quantity.fromString('1Gi') },
              },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/mysql' }],
            },
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
  return chart;
}
