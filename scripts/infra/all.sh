#!/usr/bin/env bash
# Starts, stops and reports every local service the project needs.
#   all.sh install [SERVICE...]   download/build what is missing (sequential: apt and go share locks)
#   all.sh up [SERVICE...]        install, then start the services in parallel and wait for them all
#   all.sh down [SERVICE...]      stop them (reverse order)
#   all.sh status                 one line per service
#   all.sh running                names of the services running now (used by scripts/test.sh)
#   all.sh env                    export lines pointing the apps and tests at the local services
source "$(dirname "$0")/lib.sh"

ALL_SERVICES=(kafka cassandra mariadb prometheus kube)
dir="$(cd "$(dirname "$0")" && pwd)"

# A service script's process names, for `running`: kube.sh runs several processes.
main_process() { case "$1" in kube) echo kube-apiserver ;; *) echo "$1" ;; esac; }

services() { if [ $# -gt 0 ]; then echo "$@"; else echo "${ALL_SERVICES[@]}"; fi; }

cmd="${1:-}"; shift || true
case "$cmd" in
  install)
    for s in $(services "$@"); do "$dir/$s.sh" install; done
    ;;
  up)
    for s in $(services "$@"); do "$dir/$s.sh" install; done
    mkdir -p "$SP_STATE_DIR/logs"
    declare -A pids=()
    for s in $(services "$@"); do
      "$dir/$s.sh" start >"$SP_STATE_DIR/logs/start-$s.log" 2>&1 &
      pids[$s]=$!
    done
    failed=()
    start=$SECONDS
    while true; do
      waiting=()
      for s in "${!pids[@]}"; do
        if kill -0 "${pids[$s]}" 2>/dev/null; then waiting+=("$s"); continue; fi
        if wait "${pids[$s]}"; then sp_log "$s is up"; else failed+=("$s"); fi
        unset "pids[$s]"
      done
      [ ${#waiting[@]} -eq 0 ] && break
      printf '\r[%s] starting: %s (%ss) ' "$(date +%H:%M:%S)" "${waiting[*]}" "$((SECONDS - start))" >&2
      sleep 1
    done
    printf '\n' >&2
    if [ ${#failed[@]} -gt 0 ]; then
      for s in "${failed[@]}"; do
        sp_log "ERROR: $s failed to start:"
        tail -n 45 "$SP_STATE_DIR/logs/start-$s.log" >&2
      done
      exit 1
    fi
    "$0" status
    ;;
  down)
    list=($(services "$@"))
    for ((i = ${#list[@]} - 1; i >= 0; i--)); do "$dir/${list[$i]}.sh" stop; done
    ;;
  status)
    for s in "${ALL_SERVICES[@]}"; do "$dir/$s.sh" status; done
    ;;
  running)
    for s in "${ALL_SERVICES[@]}"; do sp_running "$(main_process "$s")" && echo "$s"; done; true
    ;;
  env)
    cat <<ENV
export KAFKA_BROKERS=127.0.0.1:$SP_KAFKA_PORT
export CASSANDRA_CONTACT_POINTS=127.0.0.1:$SP_CASSANDRA_PORT
export MYSQL_URL=mysql://salespipeline:salespipeline@127.0.0.1:$SP_MYSQL_PORT/salespipeline
export PROMETHEUS_URL=http://127.0.0.1:$SP_PROMETHEUS_PORT
export KUBECONFIG=$SP_STATE_DIR/kube/kubeconfig
ENV
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
