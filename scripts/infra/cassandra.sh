#!/usr/bin/env bash
# Local single-node Cassandra 5.0 on 127.0.0.1:$SP_CASSANDRA_PORT (CQL), no auth; with
# SP_CASSANDRA_AUTH=password it requires a login (PasswordAuthenticator) and checks permissions
# (CassandraAuthorizer), superuser cassandra/cassandra: for the tests of the apps' roles, run as a
# private instance (its own SALESPIPELINE_STATE and ports), never the shared default stack.
#   scripts/infra/cassandra.sh install|start|stop|restart|status
#   scripts/infra/cassandra.sh cql "STATEMENT" ...   run CQL statements (tiny built-in client, prints rows)
#   scripts/infra/cassandra.sh ping                  one real CQL round trip (SELECT release_version)
# Jars (cassandra-all + runtime deps) come from Maven Central (pom in scripts/infra/cassandra/) into
# $SP_CACHE_DIR/cassandra/<version>/lib; config, data and log live in $SP_STATE_DIR/cassandra.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

CASSANDRA_VERSION="${SP_CASSANDRA_VERSION:-5.0.9}"
CASSANDRA_SUPPORT="$SP_REPO_DIR/scripts/infra/cassandra"
CASSANDRA_HOME="$SP_CACHE_DIR/cassandra/$CASSANDRA_VERSION"
CASSANDRA_LIB="$CASSANDRA_HOME/lib"
CASSANDRA_STATE="$SP_STATE_DIR/cassandra"
CASSANDRA_CONF="$CASSANDRA_STATE/conf"
CASSANDRA_HEAP_OPTS="${SP_CASSANDRA_HEAP_OPTS:--Xms512m -Xmx1g}"
CASSANDRA_START_TIMEOUT="${SP_CASSANDRA_START_TIMEOUT:-180}"
CASSANDRA_AUTH="${SP_CASSANDRA_AUTH:-none}"
case "$CASSANDRA_AUTH" in
  none) CASSANDRA_AUTHENTICATOR=AllowAllAuthenticator CASSANDRA_AUTHORIZER=AllowAllAuthorizer CQL_LOGIN=() ;;
  password)
    CASSANDRA_AUTHENTICATOR=PasswordAuthenticator CASSANDRA_AUTHORIZER=CassandraAuthorizer
    CQL_LOGIN=(--user cassandra --password cassandra) ;;
  *) sp_die "SP_CASSANDRA_AUTH must be none or password (got '$CASSANDRA_AUTH')" ;;
esac

# Native bits for other platforms are dead weight here (the generic jars stay).
cassandra_prune_jars() { # cassandra_prune_jars DIR
  find "$1" \( -name '*-osx-*.jar' -o -name '*-windows-*.jar' -o -name '*-linux-riscv64.jar' \) -delete
  [ "$(uname -m)" = aarch64 ] || find "$1" -name '*-linux-aarch_64.jar' -delete
  [ "$(uname -m)" = x86_64 ] || find "$1" -name '*-linux-x86_64.jar' -delete
}

svc_install() {
  sp_maven_jars Cassandra cassandra.version "$CASSANDRA_VERSION" "$CASSANDRA_SUPPORT/pom.xml" "$CASSANDRA_LIB" \
    "cassandra-all-$CASSANDRA_VERSION.jar" cassandra_prune_jars
}

cassandra_render_config() {
  mkdir -p "$CASSANDRA_CONF" "$CASSANDRA_STATE"/{data,commitlog,saved_caches,hints,cdc_raw,triggers}
  sed -e "s|@STATE_DIR@|$CASSANDRA_STATE|g" -e "s|@STORAGE_PORT@|$SP_CASSANDRA_STORAGE_PORT|g" \
      -e "s|@NATIVE_PORT@|$SP_CASSANDRA_PORT|g" -e "s|@AUTHENTICATOR@|$CASSANDRA_AUTHENTICATOR|g" \
      -e "s|@AUTHORIZER@|$CASSANDRA_AUTHORIZER|g" \
    "$CASSANDRA_SUPPORT/cassandra.yaml.tmpl" >"$CASSANDRA_CONF/cassandra.yaml"
  cp "$CASSANDRA_SUPPORT/logback.xml" "$CASSANDRA_CONF/logback.xml"
}

cassandra_jvm_opts() {
  # shellcheck disable=SC2206 # heap options are a space-separated list on purpose
  local opts=(
    $CASSANDRA_HEAP_OPTS
    # from conf/jvm-server.options (minus -ea, AlwaysPreTouch and NUMA: startup time and RSS matter more here)
    -XX:+UseThreadPriorities -XX:+HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError "-XX:HeapDumpPath=$CASSANDRA_STATE"
    -Xss256k -XX:+UseTLAB -XX:+ResizeTLAB -XX:+PerfDisableSharedMem -Djava.net.preferIPv4Stack=true
    # Parallel GC, not conf/jvm17-server.options' G1: on this small heap with the memtables off heap,
    # G1's concurrent marking and refinement threads and its write barriers cost the node ~20 % more
    # CPU per order in the drain benchmark (0.052 → 0.042 CPU s per 1,000 orders, medians; GC threads
    # 0.77 → 0.22 CPU s per 100,000); young pauses stayed under 100 ms. A full collection of the
    # ~1 GiB heap would pause longer than G1's: production nodes (the K8ssandraCluster) keep G1.
    -XX:+UseParallelGC -XX:ParallelGCThreads=2
    # Both JIT tiers stay: C1 alone (-XX:TieredStopAtLevel=1) saves the ~10 CPU s that C2 spends in the
    # first ~200,000 orders after a start, but then costs 0.075 instead of 0.042 CPU s per 1,000
    # orders drained: it pays only on a node that writes less than ~350,000 orders in its life.
    # from conf/jvm17-server.options: JPMS ...
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    # ... and Netty.
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true
    -Dio.netty.allocator.maxOrder=11
    # cassandra-env.sh equivalents
    "-Dcassandra.config=file://$CASSANDRA_CONF/cassandra.yaml"
    "-Dlogback.configurationFile=file://$CASSANDRA_CONF/logback.xml"
    -Dcassandra-foreground=yes
    "-Dcassandra.storagedir=$CASSANDRA_STATE"
    "-Dcassandra.logdir=$CASSANDRA_STATE"
    "-Dcassandra.triggers_dir=$CASSANDRA_STATE/triggers"
    "-Dcassandra.jmx.local.port=$SP_CASSANDRA_JMX_PORT"
    # fast single-node startup (all are CassandraRelevantProperties of 5.0)
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=1000
    -Dcassandra.superuser_setup_delay_ms=0
    -Dcassandra.skip_schema_check=true
    -Dcassandra.shutdown_announce_in_ms=0
    # dev/test node: do not fsync-flush system and schema tables on every change (the commit log still
    # has them); makes startup and CREATE/DROP KEYSPACE/TABLE much faster.
    -Dcassandra.unsafesystem=true
    -Dcassandra.test.flush_local_schema_changes=false
  )
  # Cassandra 5 measures memtable/cache object sizes with jamm, loaded as an agent like cassandra-env.sh does.
  local jamm
  for jamm in "$CASSANDRA_LIB"/jamm-*.jar; do [ -f "$jamm" ] && opts+=("-javaagent:$jamm"); break; done
  printf '%s\n' "${opts[@]}"
}

cassandra_cql() { node "$CASSANDRA_SUPPORT/cql.cjs" --port "$SP_CASSANDRA_PORT" "${CQL_LOGIN[@]}" "$@"; }

cassandra_last_start_offset() { # byte offset of this run's "--- start" marker written by sp_spawn
  local lf; lf="$(sp_logfile cassandra)"
  grep -b -a '^--- start ' "$lf" 2>/dev/null | tail -n 1 | cut -d: -f1 || true
}

CASSANDRA_LOG_OFFSET=0
cassandra_ready() {
  # 1) this run's log says the native transport is up, 2) the port accepts connections,
  # 3) one real CQL query round trip (built-in protocol client; skipped only without Node).
  grep -q 'Starting listening for CQL clients' < <(tail -c "+$((CASSANDRA_LOG_OFFSET + 1))" "$(sp_logfile cassandra)" 2>/dev/null) || return 1
  sp_tcp_open "$SP_CASSANDRA_PORT" || return 1
  if command -v node >/dev/null 2>&1; then cassandra_cql --quiet --timeout 5000; fi
}

svc_start() {
  if sp_running cassandra; then
    CASSANDRA_LOG_OFFSET="$(cassandra_last_start_offset)"; CASSANDRA_LOG_OFFSET="${CASSANDRA_LOG_OFFSET:-0}"
    sp_wait_ready cassandra "$CASSANDRA_START_TIMEOUT" cassandra_ready
    sp_log "cassandra already running (pid $(cat "$(sp_pidfile cassandra)")) on 127.0.0.1:$SP_CASSANDRA_PORT"
    return 0
  fi
  local p
  for p in "$SP_CASSANDRA_PORT" "$SP_CASSANDRA_STORAGE_PORT" "$SP_CASSANDRA_JMX_PORT"; do
    sp_tcp_open "$p" && sp_die "port $p is already in use by another process (another clone's Cassandra?)"
  done
  cassandra_render_config
  local lf; lf="$(sp_logfile cassandra)"
  CASSANDRA_LOG_OFFSET="$(stat -c %s "$lf" 2>/dev/null || echo 0)"
  local jvm_opts=(); mapfile -t jvm_opts < <(cassandra_jvm_opts)
  sp_log "starting Cassandra $CASSANDRA_VERSION on 127.0.0.1:$SP_CASSANDRA_PORT, auth $CASSANDRA_AUTH (log: $lf)"
  sp_spawn cassandra java -server "${jvm_opts[@]}" -cp "$CASSANDRA_LIB/*" \
    org.apache.cassandra.service.CassandraDaemon
  sp_wait_ready cassandra "$CASSANDRA_START_TIMEOUT" cassandra_ready
}

svc_stop() { sp_stop cassandra 60; }

svc_status() { sp_status_line cassandra "cql://127.0.0.1:$SP_CASSANDRA_PORT (storage $SP_CASSANDRA_STORAGE_PORT, jmx $SP_CASSANDRA_JMX_PORT)"; }

case "${1:-}" in
  ""|-h|--help|help)
    echo "usage: $(basename "$0") install|start|stop|restart|status | cql STATEMENT... | ping" >&2; exit 2 ;;
  cql) shift; cassandra_cql "$@" ;;
  ping) cassandra_cql ;;
  *) sp_main "$@" ;;
esac
