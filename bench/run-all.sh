#!/usr/bin/env bash
# `make bench`: runs every bench/*.bench.ts in turn (each writes bench/results/<name>.json and
# prints its table). Needs the local services (scripts/infra/all.sh up kafka cassandra mariadb)
# and a build (npx tsc -b). Durations: BENCH_INGEST_SECONDS, BENCH_PIPELINE_SECONDS, BENCH_PIPELINE_RATE.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
status=0
for bench in bench/*.bench.ts; do
  echo "=== $bench"
  npx tsx "$bench" || { echo "FAILED: $bench" >&2; status=1; }
done
exit $status
