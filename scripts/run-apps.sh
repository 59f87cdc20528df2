#!/usr/bin/env bash
# The app half of `make up`: builds, creates the topics, migrates the stores, starts the ingest API,
# the stream processor, the dashboard (when built) and a load generator at a modest rate in the
# background on the local services, registers them with Prometheus, waits until they are ready and
# prints where they are.       scripts/run-apps.sh [start|stop|status]
# Logs and pid files: $SP_STATE_DIR/apps/<app>/<app>.{log,pid}. Knobs (environment):
#   SP_TOPIC_PARTITIONS (6), SP_LOADGEN_RATE (orders/s, 20), SP_LOADGEN_BATCH_SIZE (1), ORDERS_TOPIC (orders)
source "$(dirname "$0")/infra/lib.sh"
cd "$SP_REPO_DIR"

APPS_STATE="$SP_STATE_DIR/apps"
PROM_TARGETS="$SP_STATE_DIR/prometheus/targets"
INGEST_PORT=18080 PROCESSOR_PORT=18081 DASHBOARD_PORT=18082 LOADGEN_PORT=18084 INGEST_OPS_PORT=18085
APPS=(ingest processor dashboard loadgen)

# The lib's helpers keep state under $SP_STATE_DIR/<name>; the apps keep theirs under .local/apps.
in_apps() { SP_STATE_DIR="$APPS_STATE" "$@"; }
# The ingest API requires an API key: one is generated on first start and kept (mode 600) in
# $API_KEYS_FILE as name:key lines; ingest reads the file, the load generator sends the "local" key.
API_KEYS_FILE="$APPS_STATE/ingest/api-keys"
api_key() {
  if [ ! -s "$API_KEYS_FILE" ]; then
    mkdir -p "$(dirname "$API_KEYS_FILE")"
    (umask 077 && printf 'local:%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$API_KEYS_FILE")
  fi
  sed -n 's/^local://p' "$API_KEYS_FILE" | head -n1
}
ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/readyz"; }

start() {
  eval "$(scripts/infra/all.sh env)"
  export ORDERS_TOPIC="${ORDERS_TOPIC:-orders}" LOG_LEVEL="${LOG_LEVEL:-info}"
  sp_log "building (tsc -b)"
  npx tsc -b
  sp_log "creating topics $ORDERS_TOPIC, $ORDERS_TOPIC.dlq, $ORDERS_TOPIC.late"
  TOPIC_PARTITIONS="${SP_TOPIC_PARTITIONS:-6}" node apps/processor/dist/main.js topics >/dev/null
  sp_log "migrating MySQL and Cassandra"
  node apps/processor/dist/main.js migrate >/dev/null

  if ! in_apps sp_running ingest; then
    api_key >/dev/null
    INGEST_API_KEYS_FILE="$API_KEYS_FILE" INGEST_HOST=127.0.0.1 INGEST_PORT=$INGEST_PORT INGEST_OPS_HOST=127.0.0.1 \
      INGEST_OPS_PORT=$INGEST_OPS_PORT in_apps sp_spawn ingest node apps/ingest/dist/main.js
  fi
  if ! in_apps sp_running processor; then
    PROCESSOR_OPS_HOST=127.0.0.1 PROCESSOR_OPS_PORT=$PROCESSOR_PORT in_apps sp_spawn processor node apps/processor/dist/main.js
  fi
  local with_dashboard=""
  if [ -f apps/dashboard/dist/main.js ]; then
    with_dashboard=1
    if ! in_apps sp_running dashboard; then
      DASHBOARD_HOST=127.0.0.1 DASHBOARD_PORT=$DASHBOARD_PORT in_apps sp_spawn dashboard node apps/dashboard/dist/main.js
    fi
  fi
  in_apps sp_wait_ready ingest 60 ready $INGEST_PORT
  in_apps sp_wait_ready processor 90 ready $PROCESSOR_PORT
  [ -n "$with_dashboard" ] && in_apps sp_wait_ready dashboard 60 ready $DASHBOARD_PORT
  if ! in_apps sp_running loadgen; then
    LOADGEN_API_KEY="$(api_key)" LOADGEN_TARGET="http://127.0.0.1:$INGEST_PORT" LOADGEN_RATE="${SP_LOADGEN_RATE:-20}" \
      LOADGEN_BATCH_SIZE="${SP_LOADGEN_BATCH_SIZE:-1}" LOADGEN_OPS_HOST=127.0.0.1 LOADGEN_OPS_PORT=$LOADGEN_PORT \
      in_apps sp_spawn loadgen node apps/loadgen/dist/main.js
  fi
  in_apps sp_wait_ready loadgen 30 ready $LOADGEN_PORT

  mkdir -p "$PROM_TARGETS"
  {
    printf '[\n'
    printf '  {"targets": ["127.0.0.1:%s"], "labels": {"app": "ingest"}},\n' $INGEST_OPS_PORT
    printf '  {"targets": ["127.0.0.1:%s"], "labels": {"app": "processor"}},\n' $PROCESSOR_PORT
    [ -n "$with_dashboard" ] && printf '  {"targets": ["127.0.0.1:%s"], "labels": {"app": "dashboard"}},\n' $DASHBOARD_PORT
    printf '  {"targets": ["127.0.0.1:%s"], "labels": {"app": "loadgen"}}\n' $LOADGEN_PORT
    printf ']\n'
  } >"$PROM_TARGETS/apps.json.tmp"
  mv "$PROM_TARGETS/apps.json.tmp" "$PROM_TARGETS/apps.json"

  cat <<MSG

The apps (logs: $APPS_STATE/<app>/<app>.log; stop: scripts/run-apps.sh stop):
  Ingest API   http://127.0.0.1:$INGEST_PORT   POST /v1/orders, POST /v1/orders/batch, GET /openapi.json
               API key: "Authorization: Bearer <key>", key after "local:" in $API_KEYS_FILE (reloaded when edited)
               ops: http://127.0.0.1:$INGEST_OPS_PORT/metrics
  Processor    http://127.0.0.1:$PROCESSOR_PORT/metrics   (topic $ORDERS_TOPIC, DLQ $ORDERS_TOPIC.dlq, late $ORDERS_TOPIC.late)
$( [ -n "$with_dashboard" ] && echo "  Dashboard    http://127.0.0.1:$DASHBOARD_PORT/" )
  Load gen     http://127.0.0.1:$LOADGEN_PORT/metrics   (${SP_LOADGEN_RATE:-20} orders/s)
  Every app    /healthz /readyz /metrics (ingest: on its ops port); Prometheus scrapes them (targets: $PROM_TARGETS/apps.json)
MSG
}

stop() {
  local i
  for ((i = ${#APPS[@]} - 1; i >= 0; i--)); do in_apps sp_stop "${APPS[$i]}" 30; done
  rm -f "$PROM_TARGETS/apps.json"
}

status() {
  in_apps sp_status_line ingest "http://127.0.0.1:$INGEST_PORT"
  in_apps sp_status_line processor "http://127.0.0.1:$PROCESSOR_PORT/metrics"
  in_apps sp_status_line dashboard "http://127.0.0.1:$DASHBOARD_PORT"
  in_apps sp_status_line loadgen "http://127.0.0.1:$LOADGEN_PORT/metrics"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
