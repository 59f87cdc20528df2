#!/usr/bin/env bash
# Chromium for browser tests (playwright-core with executablePath; no browser is ever downloaded).
#   scripts/infra/chromium.sh install   # Debian chromium (/usr/bin/chromium) + fonts-liberation
#   scripts/infra/chromium.sh status    # path and version
#   scripts/infra/chromium.sh path      # prints the executable path (for CHROMIUM_PATH / executablePath)
# start/stop are no-ops: the tests launch the browser themselves, e.g.
#   chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank
# (--no-sandbox is needed when running as root.)
source "$(dirname "$0")/lib.sh"

CHROMIUM_BIN="${CHROMIUM_PATH:-/usr/bin/chromium}"

_chromium_fonts_installed() {
  dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q 'install ok installed'
}

svc_install() {
  sp_apt_install chromium chromium fonts-liberation
  if ! _chromium_fonts_installed; then
    sp_log "installing Debian packages: fonts-liberation"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends fonts-liberation >/dev/null || sp_die "apt-get install fonts-liberation failed"
  fi
  [ -x "$CHROMIUM_BIN" ] || CHROMIUM_BIN="$(command -v chromium)" || sp_die "chromium not found after install"
  sp_log "chromium: $CHROMIUM_BIN ($("$CHROMIUM_BIN" --version 2>/dev/null))"
}

svc_start() { sp_log "chromium: nothing to start (tests launch $CHROMIUM_BIN themselves)"; }
svc_stop() { sp_log "chromium: nothing to stop"; }

svc_status() {
  if [ -x "$CHROMIUM_BIN" ]; then
    printf '  %-16s installed  %s  %s\n' chromium "$CHROMIUM_BIN" "$("$CHROMIUM_BIN" --version 2>/dev/null)"
  else
    printf '  %-16s not installed (scripts/infra/chromium.sh install)\n' chromium
  fi
}

case "${1:-}" in
  path)
    [ -x "$CHROMIUM_BIN" ] || sp_die "chromium not installed (scripts/infra/chromium.sh install)"
    echo "$CHROMIUM_BIN"; exit 0 ;;
esac
sp_main "$@"
