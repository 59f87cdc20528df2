/** salespipeline-operator: reconciles SalesPipelines. --help lists the settings. */
import { closeServer, configHelp, createLogger, onShutdown, runMain, startOpsServer } from '@salespipeline/shared';
import { loadOperatorConfig, operatorSettings } from './config.js';
import { startOperator } from './operator.js';

const help = `salespipeline-operator: reconciles salespipeline.io/v1alpha1 SalesPipelines into Strimzi Kafka,
K8ssandra, MySQL and the SalesPipeline apps. Serves /metrics, /healthz and /readyz.

${configHelp(operatorSettings)}`;

runMain(async () => {
  const config = loadOperatorConfig();
  const logger = createLogger('salespipeline-operator');
  const operator = startOperator(config, logger);
  const server = await startOpsServer({
    registry: operator.registry,
    logger,
    port: config.metricsPort,
    host: config.metricsHost,
    alive: () => operator.watchesAlive() || !operator.manager.hasSynced(),
    checks: [
      {
        name: 'watches',
        check: async () => {
          if (!operator.watchesAlive()) throw new Error('a watch is not synced or has gone silent');
        },
      },
    ],
  });
  logger.info({ port: config.metricsPort, namespace: config.watchNamespace ?? '(all)' }, 'operator started');
  onShutdown(logger, [() => operator.stop(), () => closeServer(server)]);
}, help);
