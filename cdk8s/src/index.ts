export * from './api/schema.js';
export * from './api/validate.js';
export * from './kinds.js';
export * from './crd.js';
export * from './rbac.js';
export * from './generated.js';
export * from './desired.js';
export * from './charts/context.js';
export {
  endpoints,
  processorReplicas,
  appPort,
  ingestApiKeys,
  kafkaBootstrapServers,
  externalSecretKeys,
} from './charts/apps.js';
export { cassandraNames } from './charts/cassandra.js';
export { strimziClusterLabel, kafkaAcls, kafkaListener, namespaceNameLabel } from './charts/kafka.js';
export { mysqlInitSql, mysqlUrl, mysqlUrlKeys, sqlString, initHashAnnotation } from './charts/mysql.js';
export { cassandraClusterLabel } from './charts/network.js';
export * from './install/index.js';
