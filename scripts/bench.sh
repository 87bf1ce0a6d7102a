#!/usr/bin/env bash
# Runs the benchmarks of one area, or all of them. Each area's script lives in
# scripts/bench/<area>.sh (written by the module's owner) and prints its own figures and the
# command that produced them. Short, on 127.0.0.1 only.
set -euo pipefail

AREAS=(http triage ledger api)
usage() {
    cat <<USAGE
usage: scripts/bench.sh [$(IFS="|"; echo "${AREAS[*]}")|all] [args for the area script...]
  http    scripts/bench/http.sh    the HTTP server against the Hummingbird anchor
  triage  scripts/bench/triage.sh  decisions per second of the rule engine
  ledger  scripts/bench/ledger.sh  durable appends per second and fsync latency
  api     scripts/bench/api.sh     POST /v1/triage, POST /v1/calls, long polls
  all     every area in turn (default)
USAGE
}

AREA=${1:-all}
[ $# -gt 0 ] && shift
case $AREA in
    -h|--help) usage; exit 0 ;;
    all) ;;
    http|triage|ledger|api) AREAS=("$AREA") ;;
    *) usage >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

status=0
for area in "${AREAS[@]}"; do
    script=scripts/bench/$area.sh
    if [ ! -f "$script" ]; then
        echo "bench.sh: $script does not exist" >&2
        status=1
        continue
    fi
    echo "=== bench: $area ($script $*)"
    if ! bash "$script" "$@"; then
        echo "bench.sh: $area failed" >&2
        status=1
    fi
done
exit $status
