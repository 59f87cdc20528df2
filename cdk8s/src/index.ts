export * from './api/schema.js';
export * from './api/validate.js';
export * from './kinds.js';
export * from './crd.js';
export * from './rbac.js';
export * from './generated.js';
export * from './desired.js';
export * from './charts/context.js';
export { endpoints, processorReplicas, appPort, ingestApiKeys } from './charts/apps.js';
export { externalSecretKeys } from './charts/context.js';
export { cassandraClusterLabel, cassandraNames } from './charts/cassandra.js';
export {
  strimziClusterLabel,
  kafkaAcls,
  kafkaBootstrapServers,
  kafkaListener,
  namespaceNameLabel,
} from './charts/kafka.js';
export { mysqlInitSql, mysqlUrl, mysqlUrlKeys, sqlString, initHashAnnotation } from './charts/mysql.js';
export { volumeClaimSelectors } from './charts/volumes.js';
export * from './install/index.js';
export { cassandraRoles } from './charts/cassandra-roles.js';
