#!/usr/bin/env bash
# A private Docker engine (Debian's docker.io) that only builds images: its own data root, exec root
# and socket under the state dir, no bridge and no iptables rules (builds use the host network, for
# the npm registry). Nothing else on the machine sees it; the host's Docker (if any) is untouched.
#   docker.sh install|start|stop|restart|status
#   docker.sh host     the DOCKER_HOST value of this engine
# scripts/images.sh starts it, builds, and stops it again unless it was already running.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_STATE="$SP_STATE_DIR/docker"
DOCKER_SOCK="$DOCKER_STATE/docker.sock"
DOCKER_HOST_URL="unix://$DOCKER_SOCK"

check_dockerd() { DOCKER_HOST="$DOCKER_HOST_URL" docker version --format '{{.Server.Version}}'; }

svc_install() {
  [ "$(id -u)" = 0 ] || sp_die "dockerd needs root"
  # --no-install-recommends (sp_apt_install): docker.io otherwise brings needrestart and its apt hook.
  sp_apt_install dockerd docker.io
}

svc_start() {
  if sp_running dockerd && check_dockerd >/dev/null 2>&1; then
    sp_log "dockerd already running ($DOCKER_HOST_URL)"; return 0
  fi
  svc_stop 2>/dev/null
  # The exec root is runtime state only: what a killed dockerd left there (pid files of it and of its
  # containerd) would stop the new one.
  rm -rf "$DOCKER_SOCK" "$DOCKER_STATE/exec"
  mkdir -p "$DOCKER_STATE/data" "$DOCKER_STATE/exec"
  sp_spawn dockerd dockerd --data-root="$DOCKER_STATE/data" --exec-root="$DOCKER_STATE/exec" \
    --pidfile="$DOCKER_STATE/exec/dockerd.pid" --host="$DOCKER_HOST_URL" \
    --bridge=none --iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false
  sp_wait_ready dockerd 60 check_dockerd
}

svc_stop() {
  sp_stop dockerd 30
  # dockerd leaves its network namespace mount (exec root) behind.
  local m; for m in $(findmnt -rn -o TARGET | grep -F "$DOCKER_STATE/" | sort -r); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

svc_status() { sp_status_line dockerd "$DOCKER_HOST_URL"; }

case "${1:-}" in
  host) echo "$DOCKER_HOST_URL"; exit 0 ;;
esac
# "; exit": bash reads scripts lazily, so an edit of this file cannot affect a running instance.
sp_main "$@"; exit
