#!/usr/bin/env bash
# `make bench`: runs every bench/*.bench.ts in turn (each writes bench/results/<name>.json and
# prints its table), on the local services, which it starts if they are not running (and leaves
# running). Durations: BENCH_INGEST_SECONDS, BENCH_PIPELINE_SECONDS, BENCH_PIPELINE_RATE, BENCH_CURVE_SECONDS,
# FAULTS_OUTAGE_SECONDS, ...; one benchmark alone: npx tsx bench/<name>.bench.ts
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/infra/all.sh up
eval "$(scripts/infra/all.sh env)"
npx tsc -b
status=0
for bench in bench/*.bench.ts; do
  echo "=== $bench"
  npx tsx "$bench" || { echo "FAILED: $bench" >&2; status=1; }
done
exit $status
