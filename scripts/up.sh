#!/usr/bin/env bash
# `make dev`: starts every local service, then the apps (ingest API, stream processor, load
# generator, dashboard) on them, and prints where to reach everything. `up.sh stop` stops it all.
source "$(dirname "$0")/infra/lib.sh"
cd "$SP_REPO_DIR"

if [ "${1:-}" = stop ]; then
  [ -x scripts/run-apps.sh ] && scripts/run-apps.sh stop
  scripts/infra/all.sh down
  exit 0
fi

scripts/infra/all.sh up
scripts/run-apps.sh
cat <<MSG

The local services (point the apps elsewhere with the variables of 'scripts/infra/all.sh env'):
  Kafka       127.0.0.1:$SP_KAFKA_PORT
  Cassandra   127.0.0.1:$SP_CASSANDRA_PORT (datacenter1)
  MariaDB     mysql://salespipeline:salespipeline@127.0.0.1:$SP_MYSQL_PORT/salespipeline
  Prometheus  http://127.0.0.1:$SP_PROMETHEUS_PORT
  Kubernetes  KUBECONFIG=$SP_STATE_DIR/kube/kubeconfig kubectl get ns   (kubectl: $(scripts/infra/kube.sh bin-dir 2>/dev/null || echo 'not built'))
Stop everything with: make down
MSG
