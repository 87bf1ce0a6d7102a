#!/usr/bin/env bash
# CPU instructions per GET /healthz request on the server's loop thread, counted by callgrind
# (independent of machine load, so before/after comparisons hold on a busy box).
# HTTPBench runs the bare server in-process (one loop, the service's /healthz handler) and sends
# requests one at a time on one keep-alive connection, as wrk does per connection. Only the loop
# thread is counted (--toggle-collect on EventLoop.run), and two runs (N/10 and N + N/10 requests)
# are subtracted so start-up and first-request costs cancel out. (Valgrind 3.19 cannot run the full
# rcrp-router binary here: it faults inside libdispatch's main-thread handling.)
# Usage: scripts/bench/http-instructions.sh [REQUESTS=20000]   (HTTPBENCH_BIN to pick the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
REQUESTS=${1:-20000}
BIN=${HTTPBENCH_BIN:-.build/release/HTTPBench}
command -v valgrind >/dev/null || { echo "http-instructions.sh: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "http-instructions.sh: no binary at $BIN (swift build -c release --product HTTPBench)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 debug info Swift emits: count on a copy without it.
objcopy --strip-debug "$BIN" "$WORK/HTTPBench"
count() {
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$1" '--toggle-collect=$s10HTTPServer9EventLoopC3runyyF' \
        "$WORK/HTTPBench" "$1" >/dev/null 2>&1
    sed -n 's/^summary: *\([0-9]*\)/\1/p' "$WORK/cg.$1"
}
BASE=$((REQUESTS / 10))
SMALL=$(count "$BASE")
LARGE=$(count $((BASE + REQUESTS)))
echo "instructions per GET /healthz on the loop thread: $(( (LARGE - SMALL) / REQUESTS )) (($LARGE - $SMALL) / $REQUESTS requests)"
