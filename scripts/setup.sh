#!/usr/bin/env bash
# Installs what is missing, idempotently: npm packages (npm ci when node_modules is stale), the
# TypeScript build, and every local service's packages, jars and binaries (cached, see README).
source "$(dirname "$0")/infra/lib.sh"
cd "$SP_REPO_DIR"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  sp_log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
sp_log "building TypeScript (tsc -b)"
npx tsc -b
scripts/infra/all.sh install
scripts/infra/chromium.sh install
scripts/infra/schemathesis.sh install
sp_log "setup complete"
