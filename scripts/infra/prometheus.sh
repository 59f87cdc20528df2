#!/usr/bin/env bash
# Local Prometheus (Debian prometheus 2.42) scraping the SalesPipeline apps.
#   scripts/infra/prometheus.sh install|start|stop|restart|status
#   scripts/infra/prometheus.sh reload     # re-render the config, check it, POST /-/reload
#   scripts/infra/prometheus.sh targets    # prints the file-sd directory for target JSON files
# UI/API: http://127.0.0.1:19090  (e.g. /api/v1/query?query=up, /api/v1/targets)
# Scrape targets: drop [{"targets":["127.0.0.1:PORT"],"labels":{"app":"NAME"}}] into
# $SP_STATE_DIR/prometheus/targets/NAME.json (see the comment in scripts/infra/prometheus/prometheus.yml).
# A distro prometheus service (:9090), if running, is left alone and never used.
source "$(dirname "$0")/lib.sh"

PROM_NAME=prometheus
PROM_DIR="$SP_STATE_DIR/prometheus"
PROM_CNF="$PROM_DIR/prometheus.yml"
PROM_TARGETS="$PROM_DIR/targets"
PROM_URL="http://127.0.0.1:$SP_PROMETHEUS_PORT"
PROM_TEMPLATE="$SP_REPO_DIR/scripts/infra/prometheus/prometheus.yml"

svc_install() {
  local fresh=""; command -v prometheus >/dev/null 2>&1 || fresh=1
  sp_apt_install_no_start prometheus prometheus
  sp_require prometheus "install the Debian prometheus package"
  if [ -n "$fresh" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    # On a systemd host the package enables and starts prometheus on :9090; we do not use it.
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo systemctl disable --now prometheus >/dev/null 2>&1 \
      && sp_log "disabled the distro prometheus service (ours runs on :$SP_PROMETHEUS_PORT)" || true
  fi
}

_prom_render() {
  mkdir -p "$PROM_DIR/data" "$PROM_TARGETS"
  sed -e "s|@SP_STATE_DIR@|$SP_STATE_DIR|g" -e "s|@SP_REPO_DIR@|$SP_REPO_DIR|g" \
      -e "s|@SP_PROMETHEUS_PORT@|$SP_PROMETHEUS_PORT|g" "$PROM_TEMPLATE" >"$PROM_CNF.tmp"
  if command -v promtool >/dev/null 2>&1; then
    local out
    if ! out="$(promtool check config "$PROM_CNF.tmp" 2>&1)"; then
      rm -f "$PROM_CNF.tmp"; printf '%s\n' "$out" >&2
      sp_die "invalid prometheus config/rules (template $PROM_TEMPLATE)"
    fi
  fi
  mv "$PROM_CNF.tmp" "$PROM_CNF"
}

_prom_ready() {
  curl -fsS --max-time 2 "$PROM_URL/-/ready" >/dev/null \
    && curl -fsS --max-time 2 "$PROM_URL/api/v1/query?query=up" | grep -q '"status":"success"'
}

svc_start() {
  if sp_running "$PROM_NAME"; then
    sp_reuse_running "$PROM_NAME" "$PROM_URL" _prom_ready && return 0
  fi
  if sp_tcp_open "$SP_PROMETHEUS_PORT"; then
    sp_die "port $SP_PROMETHEUS_PORT is in use by another process (not our prometheus)"
  fi
  _prom_render
  sp_spawn "$PROM_NAME" "$(command -v prometheus)" \
    --config.file="$PROM_CNF" \
    --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$SP_PROMETHEUS_PORT" \
    --web.enable-lifecycle \
    --log.level=info
  sp_wait_ready "$PROM_NAME" 60 _prom_ready
  sp_log "prometheus up: $PROM_URL (targets: $PROM_TARGETS/*.json)"
}

svc_stop() { sp_stop "$PROM_NAME" 60; }

svc_status() {
  sp_status_line "$PROM_NAME" "$PROM_URL"
  if sp_running "$PROM_NAME" && ! _prom_ready >/dev/null 2>&1; then
    printf '  %-16s WARNING: process alive but %s/-/ready fails\n' "" "$PROM_URL"
  fi
}

case "${1:-}" in
  reload)
    sp_running "$PROM_NAME" || sp_die "prometheus is not running (scripts/infra/prometheus.sh start)"
    _prom_render
    curl -fsS --max-time 10 -X POST "$PROM_URL/-/reload" || sp_fail_with_log "$PROM_NAME" "reload failed"
    sp_log "prometheus reloaded"
    exit 0 ;;
  targets) mkdir -p "$PROM_TARGETS"; echo "$PROM_TARGETS"; exit 0 ;;
esac
sp_main "$@"
