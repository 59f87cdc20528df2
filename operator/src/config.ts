/** The operator's settings (environment variables; --help lists them). */
import { ConfigError, loadConfig, setting, type ConfigOf } from '@salespipeline/shared';
import { leaderTimingProblems } from './manager/leader.js';

export const operatorSettings = {
  kubeconfig: setting.optionalString({ env: 'KUBECONFIG', doc: 'kubeconfig file (unset: in-cluster service account)' }),
  watchNamespace: setting.optionalString({ env: 'WATCH_NAMESPACE', doc: 'Namespace to watch (unset: all namespaces)' }),
  metricsPort: setting.port({ env: 'METRICS_PORT', default: 18083, doc: '/metrics, /healthz, /readyz port' }),
  metricsHost: setting.string({ env: 'METRICS_HOST', default: '0.0.0.0', doc: 'Address of the ops server' }),
  workers: setting.int({ env: 'WORKERS', min: 1, max: 64, default: 4, doc: 'Concurrent reconciles' }),
  resyncSeconds: setting.int({
    env: 'RESYNC_SECONDS',
    min: 5,
    default: 300,
    doc: 'Periodic re-reconcile of every object',
  }),
  watchSilenceSeconds: setting.int({
    env: 'WATCH_SILENCE_SECONDS',
    min: 5,
    default: 120,
    doc: 'Restart a watch that sent nothing (not even a bookmark) this long',
  }),
  queueQps: setting.number({ env: 'QUEUE_QPS', min: 1, default: 50, doc: 'Global reconcile rate limit (per second)' }),
  queueBurst: setting.int({ env: 'QUEUE_BURST', min: 1, default: 200, doc: 'Global reconcile burst' }),
  leaderElection: setting.bool({ env: 'LEADER_ELECTION', default: true, doc: 'Elect a leader on a Lease' }),
  leaderElectionNamespace: setting.string({
    env: 'LEADER_ELECTION_NAMESPACE',
    default: 'salespipeline-system',
    doc: 'Namespace of the Lease',
  }),
  leaderElectionId: setting.string({ env: 'LEADER_ELECTION_ID', default: 'salespipeline-operator', doc: 'Lease name' }),
  leaseDurationSeconds: setting.int({
    env: 'LEASE_DURATION_SECONDS',
    min: 2,
    default: 15,
    doc: 'Lease duration: a follower takes over this long after it last saw the Lease change',
  }),
  renewDeadlineSeconds: setting.int({
    env: 'RENEW_DEADLINE_SECONDS',
    min: 1,
    default: 10,
    doc: 'The leader stops leading this long after the start of its last successful renewal (< LEASE_DURATION_SECONDS)',
  }),
  retryPeriodSeconds: setting.number({
    env: 'RETRY_PERIOD_SECONDS',
    min: 0.1,
    default: 2,
    doc: 'Lease retry period (× 1.2 < RENEW_DEADLINE_SECONDS)',
  }),
  podName: setting.optionalString({ env: 'POD_NAME', doc: 'Leader identity (default: hostname-pid)' }),
  kafkaBootstrapOverride: setting.optionalString({
    env: 'KAFKA_BOOTSTRAP_OVERRIDE',
    doc: 'Kafka bootstrap (host:port,...) the autoscaler reads the lag from, for every SalesPipeline (default: the Kafka bootstrap Service of the SalesPipeline, or its spec.kafka.external servers; the salespipeline.io/kafka-bootstrap annotation wins)',
  }),
  autoscalerStatusSeconds: setting.int({
    env: 'AUTOSCALER_STATUS_SECONDS',
    min: 1,
    default: 10,
    doc: 'Least interval between status.autoscaling writes that only refresh lag figures (decisions are written at once)',
  }),
};

/** The operator's settings, each valid and together consistent (the leader election's timings). */
export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): ConfigOf<typeof operatorSettings> {
  const config = loadConfig(operatorSettings, env);
  const problems = leaderTimingProblems({
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewDeadlineMs: config.renewDeadlineSeconds * 1000,
    retryPeriodMs: config.retryPeriodSeconds * 1000,
  });
  if (problems.length > 0)
    throw new ConfigError(
      problems.map((p) => `LEASE_DURATION_SECONDS, RENEW_DEADLINE_SECONDS, RETRY_PERIOD_SECONDS: ${p}`),
    );
  return config;
}
