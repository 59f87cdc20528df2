#!/usr/bin/env bash
# Local Kafka 3.9 (KRaft, single combined broker+controller) on 127.0.0.1:$SP_KAFKA_PORT.
#   scripts/infra/kafka.sh install|start|stop|restart|status
#   scripts/infra/kafka.sh topics-create NAME PARTITIONS [RETENTION_MS]   (idempotent)
#   scripts/infra/kafka.sh tool CLASS ARGS...   run a Kafka CLI class with the cached classpath, e.g.
#       kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:19092 --list
#   scripts/infra/kafka.sh ping                 one Metadata round trip (exit 0 when the broker answers)
# Jars come from Maven Central (pom in scripts/infra/kafka/) into $SP_CACHE_DIR/kafka/<version>/libs.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${SP_KAFKA_VERSION:-3.9.1}"
KAFKA_SUPPORT="$SP_REPO_DIR/scripts/infra/kafka"
KAFKA_HOME="$SP_CACHE_DIR/kafka/$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_STATE="$SP_STATE_DIR/kafka"
KAFKA_DATA="$KAFKA_STATE/data"
KAFKA_CONF="$KAFKA_STATE/conf"
KAFKA_BOOTSTRAP="127.0.0.1:$SP_KAFKA_PORT"
KAFKA_HEAP_OPTS="${SP_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# Short-lived CLI JVMs: C1 only + serial GC + small heap start noticeably faster.
KAFKA_TOOL_OPTS="${SP_KAFKA_TOOL_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto}"

svc_install() {
  sp_maven_jars Kafka kafka.version "$KAFKA_VERSION" "$KAFKA_SUPPORT/pom.xml" "$KAFKA_LIBS" \
    "kafka_2.13-$KAFKA_VERSION.jar"
}

kafka_tool() { # kafka_tool CLASS ARGS... (foreground, inherits stdin/stdout)
  # shellcheck disable=SC2086
  exec java $KAFKA_TOOL_OPTS -Dlog4j.configuration="file:$KAFKA_SUPPORT/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_render_config() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA"
  sed -e "s|@PORT@|$SP_KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$SP_KAFKA_CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$KAFKA_DATA|g" \
    -e "s|@NODE_PORT@|$SP_KAFKA_NODE_PORT|g" -e "s|@NODE_IP@|$SP_NODE_IP|g" \
    "$KAFKA_SUPPORT/server.properties.tmpl" >"$KAFKA_CONF/server.properties"
  cp "$KAFKA_SUPPORT/log4j.properties.tmpl" "$KAFKA_CONF/log4j.properties"
}

# A Kafka Uuid: 16 random bytes, URL-safe base64 without padding. One that starts with '-' would be
# read as an option by the storage tool, so draw again.
kafka_new_cluster_id() {
  local id
  while id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; [[ "$id" == -* ]]; do :; done
  echo "$id"
}

kafka_format_storage() { # once per data dir; the cluster id lives next to it
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  local idf="$KAFKA_STATE/cluster.id"
  [ -s "$idf" ] || kafka_new_cluster_id >"$idf"
  sp_log "formatting Kafka storage in $KAFKA_DATA (cluster id $(cat "$idf"))"
  # shellcheck disable=SC2086
  java $KAFKA_TOOL_OPTS -Dlog4j.configuration="file:$KAFKA_SUPPORT/tools-log4j.properties" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format -t "$(cat "$idf")" -c "$KAFKA_CONF/server.properties" --ignore-formatted \
    >>"$(sp_logfile kafka)" 2>&1 || sp_fail_with_log kafka "storage format failed"
}

kafka_ready() {
  if command -v node >/dev/null 2>&1; then
    node "$KAFKA_SUPPORT/kafka-ping.cjs" --port "$SP_KAFKA_PORT" --timeout 3000
  else # no Node: TCP check, then one real metadata request through the CLI
    sp_tcp_open "$SP_KAFKA_PORT" && (kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --list)
  fi
}

svc_start() {
  if sp_running kafka; then
    sp_wait_ready kafka 60 kafka_ready
    sp_log "kafka already running (pid $(cat "$(sp_pidfile kafka)")) on $KAFKA_BOOTSTRAP"
    return 0
  fi
  if sp_tcp_open "$SP_KAFKA_PORT" || sp_tcp_open "$SP_KAFKA_CONTROLLER_PORT" || sp_tcp_open "$SP_KAFKA_NODE_PORT"; then
    sp_die "port $SP_KAFKA_PORT, $SP_KAFKA_CONTROLLER_PORT or $SP_KAFKA_NODE_PORT is already in use by another process (another clone's Kafka?)"
  fi
  mkdir -p "$KAFKA_STATE"
  kafka_render_config
  kafka_format_storage
  sp_log "starting Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP (log: $(sp_logfile kafka))"
  # C1 only (-XX:TieredStopAtLevel=1): C2 recompiling the broker's code was about half of its CPU in
  # a minute's run at 2,000 orders/s (and still a third in the next one), while the request handlers
  # spent the same with C1's code (measured); a long-running broker on bigger nodes (Strimzi) keeps C2.
  # shellcheck disable=SC2086
  sp_spawn kafka java -server $KAFKA_HEAP_OPTS -XX:TieredStopAtLevel=1 \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:MaxInlineLevel=15 -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j.configuration="file:$KAFKA_CONF/log4j.properties" -Dkafka.logs.dir="$KAFKA_STATE" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF/server.properties"
  sp_wait_ready kafka 120 kafka_ready
}

svc_stop() { sp_stop kafka 30; }

svc_status() { sp_status_line kafka "PLAINTEXT://$KAFKA_BOOTSTRAP (controller 127.0.0.1:$SP_KAFKA_CONTROLLER_PORT)"; }

kafka_topics_create() { # NAME PARTITIONS [RETENTION_MS]
  [ $# -ge 2 ] || sp_die "usage: kafka.sh topics-create NAME PARTITIONS [RETENTION_MS]"
  local name="$1" partitions="$2" retention="${3:-}"
  svc_install
  sp_running kafka || sp_die "kafka is not running (scripts/infra/kafka.sh start)"
  local extra=()
  [ -n "$retention" ] && extra=(--config "retention.ms=$retention")
  (kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1 "${extra[@]}") \
    || sp_die "could not create topic $name"
  sp_log "topic $name ready (partitions=$partitions${retention:+, retention.ms=$retention})"
}

# Sourced (by a test) for its functions: define them, run nothing.
[[ "${BASH_SOURCE[0]}" != "$0" ]] && return 0

case "${1:-}" in
  ""|-h|--help|help)
    echo "usage: $(basename "$0") install|start|stop|restart|status | topics-create NAME PARTITIONS [RETENTION_MS] | tool CLASS ARGS... | ping" >&2
    exit 2 ;;
  topics-create) shift; kafka_topics_create "$@" ;;
  tool) shift; [ $# -ge 1 ] || sp_die "usage: kafka.sh tool CLASS ARGS..."; svc_install; kafka_tool "$@" ;;
  ping) node "$KAFKA_SUPPORT/kafka-ping.cjs" --port "$SP_KAFKA_PORT" --verbose ;;
  *) sp_main "$@" ;;
esac
