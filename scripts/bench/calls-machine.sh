#!/usr/bin/env bash
# Where a live server's time goes under load, per request: POST /v1/triage and durable
# POST /v1/calls alternating on one `serve --dev` server (loopback, wrk), each round printing
#   req/s, the server's CPU per request (utime+stime from /proc/PID/stat), the whole machine's
#   busy CPU per request (wrk and the kernel included), and the share of the machine left idle
#   and stolen by the hypervisor while it ran, and the server's RSS; at the end, the RSS it grew
#   by per call taken (the state keeps every call: docs/SERVICE.md, "Memory per call").
# req/s = cores × (1 − idle − steal) / machine CPU per request, so this tells whether a change
# saved CPU or only moved idle time about, which throughput alone on a noisy VM cannot.
# Usage: scripts/bench/calls-machine.sh [SECONDS=5] [ROUNDS=3] [CONNECTIONS=64]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
ROUNDS=${2:-3}
CONNECTIONS=${3:-64}
BIN=${RCRP_BIN:-.build/release/rcrp-router}
CALL=${BENCH_CALL:-../shared/bench/call.json}
command -v wrk >/dev/null || { echo "calls-machine.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "calls-machine.sh: no binary at $BIN (swift build -c release, or set RCRP_BIN)" >&2; exit 2; }
[ -r /proc/stat ] || { echo "calls-machine.sh: needs Linux /proc" >&2; exit 2; }

DATA=$(mktemp -d)
"$BIN" serve --dev --port 0 --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
PORT=""
for _ in $(seq 1 200); do
    PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$DATA/server.log" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || { echo "calls-machine.sh: server exited:" >&2; cat "$DATA/server.log" >&2; exit 1; }
    sleep 0.05
done
[ -n "$PORT" ] || { echo "calls-machine.sh: server did not say where it listens" >&2; exit 1; }
TICK=$(getconf CLK_TCK)

server_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$PID/status"; }
# "tid ticks" for each of the server's threads
thread_ticks() { for t in /proc/"$PID"/task/*; do awk -v t="${t##*/}" '{ print t, $14 + $15 }' "$t/stat" 2>/dev/null || true; done; }
# busy (user nice system irq softirq), idle (idle iowait), steal
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6, $9 }' /proc/stat; }

measure() {   # endpoint
    local s0 s1 b0 i0 t0 b1 i1 t1 out n rps
    local threads0 threads1 busiest
    s0=$(server_ticks); read -r b0 i0 t0 < <(machine_ticks); threads0=$(thread_ticks)
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECS}s" -s "scripts/bench/$1.lua" "http://127.0.0.1:$PORT/v1/$1" -- "$CALL")
    s1=$(server_ticks); read -r b1 i1 t1 < <(machine_ticks); threads1=$(thread_ticks)
    # A thread started during the run counts from 0; one that ended is missed (none under load).
    busiest=$(join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$threads0" | sort) <(echo "$threads1" | sort) \
        | awk -v secs="$SECS" -v tick="$TICK" '{ printf "%.0f\n", 100 * ($3 - $2) / tick / secs }' | sort -rn | head -3 | paste -sd/ -)
    n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "calls-machine.sh: wrk made no requests:" >&2; echo "$out" >&2; exit 1; }
    if [ "$1" = calls ]; then CALLS_TAKEN=$((CALLS_TAKEN + n)); fi
    awk -v e="$1" -v r="$rps" -v n="$n" -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v t=$((t1 - t0)) \
        -v tick="$TICK" -v rss="$(rss_kib)" -v busiest="$busiest" \
        'BEGIN { printf "%-6s %8.0f req/s  server %6.1f µs/req  machine %6.1f µs/req  idle %4.1f%%  steal %4.1f%%  rss %d MiB  threads %s%%\n",
                 e, r, s / tick / n * 1e6, b / tick / n * 1e6, 100 * i / (b + i + t), 100 * t / (b + i + t), rss / 1024, busiest }'
}

wrk -t1 -c"$CONNECTIONS" -d2s -s scripts/bench/triage.lua "http://127.0.0.1:$PORT/v1/triage" -- "$CALL" >/dev/null   # warm-up
CALLS_TAKEN=0
RSS_BEFORE=$(rss_kib)
for _ in $(seq 1 "$ROUNDS"); do
    measure triage
    measure calls
done
awk -v a="$RSS_BEFORE" -v b="$(rss_kib)" -v n="$CALLS_TAKEN" \
    'BEGIN { printf "rss grew %d MiB for %d calls taken: %.0f B a call\n", (b - a) / 1024, n, (n > 0 ? 1024 * (b - a) / n : 0) }'
