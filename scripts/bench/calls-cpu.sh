#!/usr/bin/env bash
# CPU per request of durable POST /v1/calls and of POST /v1/triage through the service's router,
# without sockets (Sources/ServiceBench): load-independent figures for the committer, the JSON
# work and the fold. With CALLGRIND=1 it counts instructions per request under valgrind instead
# (the difference between a 1,300- and a 300-request run, so start-up is left out).
# Usage: scripts/bench/calls-cpu.sh [REQUESTS=8000] [CONCURRENCY=64]
set -euo pipefail
cd "$(dirname "$0")/../.."
REQUESTS=${1:-8000}
CONCURRENCY=${2:-64}
CALL=${BENCH_CALL:-../shared/bench/call.json}
swift build -c release --product ServiceBench >/dev/null
BIN=.build/release/ServiceBench
if [ "${CALLGRIND:-0}" = 1 ]; then
    command -v valgrind >/dev/null || { echo "calls-cpu.sh: valgrind is not installed" >&2; exit 2; }
    # valgrind 3.19 cannot read Swift's DWARF 5: count on a copy without debug information.
    STRIPPED=$(mktemp)
    trap 'rm -f "$STRIPPED"' EXIT
    strip --strip-debug "$BIN" -o "$STRIPPED"
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$STRIPPED" "$1" "$2" "$CONCURRENCY" config/rules "$CALL" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
    for endpoint in calls triage; do
        small=$(count "$endpoint" 300); large=$(count "$endpoint" 1300)
        echo "POST /v1/$endpoint: $(( (large - small) / 1000 )) instructions/request (callgrind)"
    done
else
    for endpoint in calls triage; do "$BIN" "$endpoint" "$REQUESTS" "$CONCURRENCY" config/rules "$CALL" 2>/dev/null; done
fi
