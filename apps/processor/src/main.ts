#!/usr/bin/env node
/**
 *   salespipeline-processor            run the stream processor
 *   salespipeline-processor migrate    apply the MySQL and Cassandra schema, then exit
 *   salespipeline-processor topics     create the orders topic, its .dlq and .late, then exit
 */
import {
  configHelp,
  createCassandraClient,
  createKafka,
  createLogger,
  createMysqlPool,
  ensureTopics,
  loadConfig,
  onShutdown,
  runMain,
} from '@salespipeline/shared';
import { processorSpec, storageSpec, topicSpec } from './config.js';
import { appRoles, ensureCassandraRoles, type AppRole } from './cassandra-roles.js';
import { migrateCassandra, migrateMysql } from './migrate.js';
import { startProcessor } from './processor.js';

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'run';
  const logger = createLogger('processor');
  switch (command) {
    case 'migrate': {
      const config = loadConfig(storageSpec);
      const pool = createMysqlPool(config, { connectionLimit: 1 });
      const client = createCassandraClient(config);
      try {
        await migrateMysql(pool, logger);
        await migrateCassandra(client, config.cassandraKeyspace, config.cassandraReplication, logger);
        const canLogin = async (role: AppRole) => {
          const as = createCassandraClient({
            ...config,
            cassandraUsername: role.name,
            cassandraPassword: role.password,
          });
          try {
            await as.connect();
            return true;
          } catch {
            return false;
          } finally {
            await as.shutdown();
          }
        };
        await ensureCassandraRoles(client, config.cassandraKeyspace, appRoles(config), canLogin, logger);
      } finally {
        await pool.end();
        await client.shutdown();
      }
      return;
    }
    case 'topics': {
      const config = loadConfig(topicSpec);
      const created = await ensureTopics(createKafka(config, logger), config.ordersTopic, {
        partitions: config.topicPartitions,
        retentionMs: config.topicRetentionMs,
      });
      logger.info({ created }, 'topics ready');
      return;
    }
    case 'run': {
      const config = loadConfig(processorSpec);
      const processor = await startProcessor(config, { logger });
      onShutdown(logger, [() => processor.stop()]);
      return;
    }
    default:
      throw new Error(`unknown command ${command}; try --help`);
  }
}

runMain(
  main,
  `salespipeline-processor [run|migrate|topics]: consumes orders from Kafka, stores them raw in Cassandra
and aggregated per minute in MySQL, exactly once.
  run       the stream processor (default); runs the migrations first
  migrate   apply the MySQL and Cassandra schema, then exit
  topics    create <ORDERS_TOPIC>, .dlq and .late (TOPIC_PARTITIONS, TOPIC_RETENTION_MS), then exit

${configHelp(processorSpec)}`,
);
