#!/usr/bin/env bash
# Common helpers for the local infrastructure scripts. Source it; do not run it.
# Every service: binaries cached under $SP_CACHE_DIR (shared by clones on this machine),
# runtime data, logs and pid files under $SP_STATE_DIR (ignored by git), bound to 127.0.0.1.
set -euo pipefail

SP_REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SP_CACHE_DIR="${SALESPIPELINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/salespipeline}"
SP_STATE_DIR="${SALESPIPELINE_STATE:-$SP_REPO_DIR/.local}"
export SP_REPO_DIR SP_CACHE_DIR SP_STATE_DIR

# Ports: non-default so nothing collides with a system service. Keep in sync with
# apps/shared/src/config (the Node defaults) and the README table.
: "${SP_KAFKA_PORT:=19092}" "${SP_KAFKA_CONTROLLER_PORT:=19093}" "${SP_KAFKA_NODE_PORT:=$((SP_KAFKA_PORT + 2))}"
: "${SP_CASSANDRA_PORT:=19042}" "${SP_CASSANDRA_STORAGE_PORT:=17000}" "${SP_CASSANDRA_JMX_PORT:=17199}"
: "${SP_MYSQL_PORT:=13306}"
: "${SP_ETCD_PORT:=12379}" "${SP_ETCD_PEER_PORT:=12380}" "${SP_KUBE_APISERVER_PORT:=16443}"
: "${SP_PROMETHEUS_PORT:=19090}"
# The local node (node.sh): its address inside its network namespace, and the host end of its veth.
# Kafka advertises the node address to pods (its NODE listener).
: "${SP_NODE_IP:=10.213.0.2}" "${SP_NODE_HOST_IP:=10.213.0.1}"

sp_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
sp_die() { sp_log "ERROR: $*"; exit 1; }

sp_require() { # sp_require CMD [HINT]
  command -v "$1" >/dev/null 2>&1 || sp_die "'$1' not found${2:+: $2}"
}

# Installs Debian packages only when a listed binary is missing (apt-get update once per call).
sp_apt_install() { # sp_apt_install BINARY PACKAGE...
  local bin="$1"; shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  sp_apt_get_install "$@"
}

# sp_apt_install for a package whose install would start the distro's own service: while apt
# installs, a policy-rc.d keeps its init script from starting it (in a container without systemd
# that start may fail and abort the install). Only a policy-rc.d created here is removed again.
_sp_policy_marker="# salespipeline temporary policy-rc.d"
sp_apt_install_no_start() { # same arguments as sp_apt_install
  command -v "$1" >/dev/null 2>&1 && return 0
  local created=""
  if [ ! -e /usr/sbin/policy-rc.d ] && [ -w /usr/sbin ]; then
    printf '#!/bin/sh\n%s\nexit 101\n' "$_sp_policy_marker" >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; created=1
    trap '_sp_remove_policy' EXIT
  fi
  sp_apt_install "$@"
  [ -z "$created" ] || _sp_remove_policy
}
_sp_remove_policy() {
  if [ -f /usr/sbin/policy-rc.d ] && grep -qF "$_sp_policy_marker" /usr/sbin/policy-rc.d; then
    rm -f /usr/sbin/policy-rc.d
  fi
}

sp_apt_get_install() { # sp_apt_get_install PACKAGE...
  sp_log "installing Debian packages: $*"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  # Several service scripts may install at once (make up): wait for the dpkg/apt locks, do not fail.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null \
    || sp_die "apt-get install $* failed"
}

sp_pidfile() { echo "$SP_STATE_DIR/$1/$1.pid"; }
sp_logfile() { echo "$SP_STATE_DIR/$1/$1.log"; }

sp_running() { # sp_running NAME -> 0 when its pid file names a live process
  local pf st; pf="$(sp_pidfile "$1")"
  [ -f "$pf" ] || return 1
  # A killed process that init has not reaped yet (a zombie) counts as dead.
  st="$(ps -o stat= -p "$(cat "$pf")" 2>/dev/null)" || return 1
  [[ "$st" != Z* ]]
}

# For a service whose pid file names a live process: returns 0 once READY_CMD succeeds (it is
# already running), fails with its log when it never does within 60 s, and returns 1 after removing
# the pid file when the process died meanwhile (start it afresh).
sp_reuse_running() { # sp_reuse_running NAME WHERE READY_CMD...
  local name="$1" where="$2" i; shift 2
  for ((i = 0; i < 60; i++)); do
    if "$@" >/dev/null 2>&1; then sp_log "$name already running: $where"; return 0; fi
    sp_running "$name" || break
    sleep 1
  done
  sp_running "$name" && sp_fail_with_log "$name" "running (pid $(cat "$(sp_pidfile "$name")")) but not ready"
  sp_log "$name: stale pid file (process died), starting afresh"
  rm -f "$(sp_pidfile "$name")"
  return 1
}

# Starts a command in the background as its own process group, logging to the service's log file.
sp_spawn() { # sp_spawn NAME CMD...
  local name="$1"; shift
  mkdir -p "$SP_STATE_DIR/$name"
  local lf; lf="$(sp_logfile "$name")"
  echo "--- start $(date -Is): $*" >>"$lf"
  setsid "$@" >>"$lf" 2>&1 </dev/null &
  echo $! >"$(sp_pidfile "$name")"
}

sp_fail_with_log() { # sp_fail_with_log NAME MESSAGE
  local lf; lf="$(sp_logfile "$1")"
  sp_log "ERROR: $1: $2"
  if [ -f "$lf" ]; then
    sp_log "last lines of $lf:"
    tail -n 40 "$lf" >&2
  fi
  exit 1
}

# Polls CHECK (a shell command) until it succeeds, the process dies, or TIMEOUT seconds pass.
sp_wait_ready() { # sp_wait_ready NAME TIMEOUT CHECK...
  local name="$1" timeout="$2"; shift 2
  local start=$SECONDS
  while true; do
    if "$@" >/dev/null 2>&1; then
      printf '\r' >&2; sp_log "$name ready after $((SECONDS - start))s"; return 0
    fi
    if ! sp_running "$name"; then printf '\n' >&2; sp_fail_with_log "$name" "process exited before it was ready"; fi
    if (( SECONDS - start >= timeout )); then printf '\n' >&2; sp_fail_with_log "$name" "not ready after ${timeout}s"; fi
    printf '\r[%s] waiting for %s ... %ss' "$(date +%H:%M:%S)" "$name" "$((SECONDS - start))" >&2
    sleep 1
  done
}

sp_stop() { # sp_stop NAME [TIMEOUT] -> TERM the process group, KILL after TIMEOUT seconds
  local name="$1" timeout="${2:-30}" pf pid
  pf="$(sp_pidfile "$name")"
  if ! sp_running "$name"; then rm -f "$pf"; sp_log "$name not running"; return 0; fi
  pid="$(cat "$pf")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while kill -0 "$pid" 2>/dev/null && (( i < timeout * 5 )); do sleep 0.2; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    sp_log "$name did not stop in ${timeout}s, killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pf"; sp_log "$name stopped"
}

sp_tcp_open() { # sp_tcp_open PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

sp_status_line() { # sp_status_line NAME URL-or-address
  if sp_running "$1"; then printf '  %-16s running (pid %s)  %s\n' "$1" "$(cat "$(sp_pidfile "$1")")" "$2"
  else printf '  %-16s stopped\n' "$1"; fi
}

# Each service script ends with: sp_main "$@" after defining svc_install, svc_start, svc_stop, svc_status.
sp_main() {
  local cmd="${1:-}"
  case "$cmd" in
    install) svc_install ;;
    start) svc_install; svc_start ;;
    stop) svc_stop ;;
    restart) svc_stop; svc_install; svc_start ;;
    status) svc_status ;;
    *) echo "usage: $(basename "$0") install|start|stop|restart|status" >&2; exit 2 ;;
  esac
}

# Fetches a pom's runtime dependencies from Maven Central into DEST, once per (version, pom): a stamp
# next to DEST records both, and a lock keeps clones that share the cache from installing at once.
# PRUNE, when given, is a function run on the fresh jar folder before it replaces DEST.
sp_maven_jars() { # sp_maven_jars LABEL VERSION-PROPERTY VERSION POM DEST EXPECTED-JAR [PRUNE]
  local label="$1" property="$2" version="$3" pom="$4" dest="$5" expected="$6" prune="${7:-}"
  local home stamp want
  home="$(dirname "$dest")"; stamp="$home/.installed"
  want="$version $(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  sp_require java "install a JDK 17 (apt-get install openjdk-17-jre-headless)"
  sp_require mvn "install Maven (apt-get install maven)"
  mkdir -p "$home"
  (
    flock 9
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
    sp_log "installing $label $version jars from Maven Central into $dest"
    local work; work="$(mktemp -d "$home/.install.XXXXXX")"
    cp "$pom" "$work/pom.xml"
    if ! (cd "$work" && mvn -B -q "-D$property=$version" -DincludeScope=runtime \
          -DoutputDirectory="$work/jars" dependency:copy-dependencies >"$work/mvn.log" 2>&1); then
      tail -n 30 "$work/mvn.log" >&2; rm -rf "$work"; sp_die "maven could not fetch $label $version"
    fi
    [ -f "$work/jars/$expected" ] || { rm -rf "$work"; sp_die "$expected missing after download"; }
    [ -z "$prune" ] || "$prune" "$work/jars"
    rm -rf "$dest"; mv "$work/jars" "$dest"; rm -rf "$work"
    echo "$want" >"$stamp"
    sp_log "$label $version installed ($(du -sh "$dest" | cut -f1))"
  ) 9>"$home/.lock"
}
