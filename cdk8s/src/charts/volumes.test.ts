import { describe, expect, it } from '@jest/globals';
import { withDefaults } from '../api/validate.js';
import { desiredState, type KubeObject } from '../desired.js';
import { volumeClaimSelectors } from './volumes.js';

const creds = { rootPassword: 'root-Secret-456', processorPassword: 'pw-Proc-123', dashboardPassword: 'pw-Dash-789' };
const spec = { cassandra: { clusterName: 'sales' } };
const objects = desiredState(
  {
    apiVersion: 'salespipeline.io/v1alpha1',
    kind: 'SalesPipeline',
    metadata: { name: 'shop', namespace: 'retail', uid: '6f1c7d0e-1111-4222-8333-944455556666' },
    spec,
  },
  { mysqlCredentials: creds },
);
const find = (kind: string) => objects.find((o) => o.kind === kind) as KubeObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const matches = (selector: string, labels: Record<string, string> | undefined) => {
  const [key, value] = selector.split('=');
  return labels?.[key!] === value;
};

describe('the volume claims teardown deletes', () => {
  const [mysql, kafka, cassandra] = volumeClaimSelectors('shop', withDefaults(spec));

  it('are selected by the labels the stores put on them', () => {
    expect([mysql, kafka, cassandra]).toEqual([
      'app.kubernetes.io/instance=shop',
      'strimzi.io/cluster=shop',
      'cassandra.datastax.com/cluster=sales',
    ]);
    // The MySQL StatefulSet's claims carry the pipeline's labels; Strimzi labels its claims with the
    // Kafka's name, as the node pool names it; cass-operator with the Cassandra cluster name.
    expect(matches(mysql!, find('StatefulSet').spec.volumeClaimTemplates[0].metadata.labels)).toBe(true);
    expect(matches(kafka!, find('KafkaNodePool').metadata.labels)).toBe(true);
    expect(find('K8ssandraCluster').spec.cassandra.clusterName).toBe('sales');
  });
});
