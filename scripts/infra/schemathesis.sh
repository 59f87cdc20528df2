#!/usr/bin/env bash
# Schemathesis (the OpenAPI fuzzer, from PyPI) for the ingest API's contract test, in a cached venv.
#   scripts/infra/schemathesis.sh install   # venv under $SP_CACHE_DIR/schemathesis-<version>
#   scripts/infra/schemathesis.sh status    # path and version
#   scripts/infra/schemathesis.sh path      # prints the `st` executable (SCHEMATHESIS_PATH overrides it)
# start/stop are no-ops: apps/ingest/test/openapi-contract.test.ts runs it against a live ingest.
source "$(dirname "$0")/lib.sh"

ST_VERSION=4.32.5
ST_HOME="$SP_CACHE_DIR/schemathesis-$ST_VERSION"
ST_BIN="${SCHEMATHESIS_PATH:-$ST_HOME/venv/bin/st}"

svc_install() {
  [ -f "$ST_HOME/.installed" ] && return 0
  sp_apt_install python3 python3 python3-venv
  # Debian splits venv (ensurepip) out of python3.
  python3 -c 'import ensurepip' 2>/dev/null || sp_apt_get_install python3-venv
  mkdir -p "$ST_HOME"
  (
    flock 9
    [ -f "$ST_HOME/.installed" ] && exit 0
    sp_log "installing schemathesis $ST_VERSION from PyPI into $ST_HOME/venv"
    local log="$ST_HOME/install.log"
    # A venv is not relocatable: build it in place; the stamp marks it complete.
    rm -rf "$ST_HOME/venv"
    if ! { python3 -m venv "$ST_HOME/venv" &&
      "$ST_HOME/venv/bin/pip" install --disable-pip-version-check -q "schemathesis==$ST_VERSION"; } >"$log" 2>&1; then
      tail -n 30 "$log" >&2; rm -rf "$ST_HOME/venv"
      sp_die "could not install schemathesis $ST_VERSION (Debian: apt-get install python3-venv)"
    fi
    touch "$ST_HOME/.installed"
    sp_log "schemathesis installed: $("$ST_HOME/venv/bin/st" --version)"
  ) 9>"$ST_HOME/.lock"
}

svc_start() { sp_log "schemathesis: nothing to start (the contract test runs it)"; }
svc_stop() { sp_log "schemathesis: nothing to stop"; }

svc_status() {
  if [ -x "$ST_BIN" ]; then printf '  %-16s installed  %s  %s\n' schemathesis "$ST_BIN" "$("$ST_BIN" --version 2>/dev/null)"
  else printf '  %-16s not installed (scripts/infra/schemathesis.sh install)\n' schemathesis; fi
}

case "${1:-}" in
  path)
    [ -x "$ST_BIN" ] || sp_die "schemathesis not installed (scripts/infra/schemathesis.sh install)"
    echo "$ST_BIN"; exit 0 ;;
esac
sp_main "$@"
