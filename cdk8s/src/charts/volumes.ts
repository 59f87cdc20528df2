import type { SalesPipelineSpec } from '../api/schema.js';
import { labels } from '../kinds.js';
import { cassandraClusterLabel } from './cassandra.js';
import { names } from './context.js';
import { strimziClusterLabel } from './kafka.js';

/**
 * The label selectors of the PersistentVolumeClaims a SalesPipeline's stores leave behind when their
 * objects are gone: the MySQL StatefulSet's claim templates carry the pipeline's labels, Strimzi and
 * cass-operator label theirs with the cluster. With deletionPolicy Delete the finalizer deletes them.
 */
export const volumeClaimSelectors = (name: string, spec: SalesPipelineSpec): string[] => [
  `${labels.instance}=${name}`,
  `${strimziClusterLabel}=${names(name).kafka}`,
  `${cassandraClusterLabel}=${spec.cassandra.clusterName}`,
];
