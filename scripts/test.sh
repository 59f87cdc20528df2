#!/usr/bin/env bash
# `make test`: installs what is missing, starts every local service, runs the whole jest suite
# (unit + integration) and stops the services it started (ones already running are left alone).
# Extra arguments go to jest, e.g. scripts/test.sh apps/processor
source "$(dirname "$0")/infra/lib.sh"
cd "$SP_REPO_DIR"

scripts/setup.sh
# jest strips types without checking them: the tests and benchmarks are type-checked here.
sp_log "type-checking the tests and benchmarks (tsconfig.tests.json)"
npx tsc -p tsconfig.tests.json
already_running="$(scripts/infra/all.sh running | tr '\n' ' ')"
stop_started() {
  local s started=()
  for s in $(scripts/infra/all.sh running); do
    [[ " $already_running " == *" $s "* ]] || started+=("$s")
  done
  if [ ${#started[@]} -gt 0 ]; then
    sp_log "stopping the services this run started: ${started[*]}"
    scripts/infra/all.sh down "${started[@]}" || true
  fi
}
trap stop_started EXIT

scripts/infra/all.sh up
eval "$(scripts/infra/all.sh env)"
mkdir -p test-artifacts
sp_log "running the test suite"
status=0
# --forceExit: once every test has finished, a handle some test leaked must not keep CI waiting.
npm test --silent -- --ci --forceExit --json --outputFile=test-artifacts/jest-results.json "$@" || status=$?
# The plain closing line CI reads: "tests: N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/jest-results.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
