/** K8ssandra: one K8ssandraCluster with one datacenter; cass-operator runs the nodes. */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  K8ssandraCluster,
  K8SsandraClusterSpecCassandraDatacentersConfigJvmOptionsHeapSize,
  K8SsandraClusterSpecCassandraDatacentersStorageConfigCassandraDataVolumeClaimSpecResourcesRequests,
} from '../../imports/k8ssandra.io.js';
import { networkTopology, type Replication } from '@salespipeline/shared';
import type { SalesPipelineSpec } from '../api/schema.js';
import { commonLabels, type Context } from './context.js';

/** The label cass-operator sets on the pods and volumes of a Cassandra cluster (its clusterName). */
export const cassandraClusterLabel = 'cassandra.datastax.com/cluster';

/** cass-operator's names for what it creates from a cluster and datacenter. */
export const cassandraNames = (clusterName: string, dc: string) => ({
  service: `${clusterName}-${dc}-service`,
  superuserSecret: `${clusterName}-superuser`,
});

/**
 * Replication of the orders keyspace (NetworkTopologyStrategy): min(3, nodes) replicas in the managed
 * datacenter; in an external Cassandra's local datacenter, the replication factor its spec gives.
 */
export const keyspaceReplication = ({ cassandra }: SalesPipelineSpec): Replication =>
  cassandra.external
    ? {
        class: 'NetworkTopologyStrategy',
        datacenters: { [cassandra.external.localDatacenter]: cassandra.external.replicationFactor },
      }
    : networkTopology({ [cassandra.datacenter.name]: cassandra.datacenter.size });

/**
 * cassandra.yaml settings the apps rely on, the same as the local node's
 * (scripts/infra/cassandra/cassandra.yaml.tmpl): the processor's unlogged batches of orders_by_id (up
 * to 16 KiB and 100 orders, one partition each) are by design, so they stay under the warning
 * thresholds (at the defaults, 5 KiB and 10 partitions, every batch logged a warning); the fail
 * threshold is the default, which the processor's batches never reach.
 */
export const cassandraYaml = {
  batch_size_warn_threshold: '32KiB',
  batch_size_fail_threshold: '50KiB',
  unlogged_batch_across_partitions_warn_threshold: 100,
};

export function desiredCassandra(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'cassandra', { disableResourceNameHashes: true });
  const { cassandra } = ctx.spec;
  if (cassandra.external) return chart; // not ours to run: the apps connect to it
  new K8ssandraCluster(chart, 'cluster', {
    metadata: { name: ctx.owner.name, labels: commonLabels(ctx.owner.name, 'cassandra') },
    spec: {
      cassandra: {
        clusterName: cassandra.clusterName,
        serverVersion: cassandra.serverVersion,
        datacenters: [
          {
            metadata: { name: cassandra.datacenter.name },
            size: cassandra.datacenter.size,
            config: {
              cassandraYaml,
              jvmOptions: {
                heapSize: K8SsandraClusterSpecCassandraDatacentersConfigJvmOptionsHeapSize.fromString(
                  cassandra.heapSize,
                ),
              },
            },
            storageConfig: {
              cassandraDataVolumeClaimSpec: {
                accessModes: ['ReadWriteOnce'],
                ...(cassandra.storage.storageClassName ? { storageClassName: cassandra.storage.storageClassName } : {}),
                resources: {
                  requests: {
                    storage:
                      K8SsandraClusterSpecCassandraDatacentersStorageConfigCassandraDataVolumeClaimSpecResourcesRequests.fromString(
                        cassandra.storage.size,
                      ),
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  return chart;
}
