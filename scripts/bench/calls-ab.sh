#!/usr/bin/env bash
# Compares two builds (or one build under two environments) on durable POST /v1/calls, in
# alternating runs on fresh `serve --dev` servers (loopback, wrk -t1), and prints the medians.
#
# This VM's speed drifts by ±20% within minutes (the same binary ran calls at 18–29k req/s in
# one hour), so one run of each side tells nothing about a change of a few percent. Alternating
# A and B puts the drift on both sides alike, and besides req/s every run prints the machine's
# busy CPU per call (the whole machine: server, wrk and kernel), which moves much less with the
# drift than req/s does: a change that saves CPU shows there even when req/s is noise.
#
# Each run: a fresh server with an empty ledger, 2 s of calls to warm it, then SECONDS of calls
# measured: req/s, the server's CPU per call (utime+stime), the machine's busy CPU per call,
# the machine's idle share, and the server's four busiest threads as shares of one core.
# A run in which any answer is not 201 stops the comparison (exit 1).
#
# Usage: scripts/bench/calls-ab.sh [PAIRS=5] [SECONDS=5] [BIN_A] [BIN_B]
#   BIN_A defaults to .build/release/rcrp-router, BIN_B to BIN_A.
#   AB_ENV_A / AB_ENV_B: environment assignments for each side's server, e.g.
#   AB_ENV_B="RCRP_LISTEN_EVENT_LOOPS=1" scripts/bench/calls-ab.sh 5 5
# Connections: CONNECTIONS (default 64).
set -euo pipefail
cd "$(dirname "$0")/../.."

PAIRS=${1:-5}
SECS=${2:-5}
BIN_A=${3:-.build/release/rcrp-router}
BIN_B=${4:-$BIN_A}
CONNECTIONS=${CONNECTIONS:-64}
CALL=${BENCH_CALL:-../shared/bench/call.json}
command -v wrk >/dev/null || { echo "calls-ab.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
for bin in "$BIN_A" "$BIN_B"; do
    [ -x "$bin" ] || { echo "calls-ab.sh: no binary at $bin (swift build -c release --product rcrp-router)" >&2; exit 2; }
done
[ -r /proc/stat ] || { echo "calls-ab.sh: needs Linux /proc" >&2; exit 2; }
. scripts/lib/server.sh
TICK=$(getconf CLK_TCK)
OUT=$(mktemp)
cleanup() {
    stop_server || true
    rm -rf "${SERVER_DIR:-}" "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# busy (user nice system irq softirq) and idle (idle iowait) ticks of the whole machine
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }
server_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
thread_ns() { for t in /proc/"$SERVER_PID"/task/*; do awk -v t="${t##*/}" '{ print t, $1 }' "$t/schedstat" 2>/dev/null || true; done | sort; }

# one_run SIDE BIN ENV: prints "SIDE req/s server_us machine_us idle% threads" (run it in this
# shell, not a subshell, so that the EXIT trap can stop its server)
one_run() {
    local side=$1 bin=$2 assignment names=()
    # The side's environment, for its server only.
    for assignment in $3; do
        export "${assignment?}"
        names+=("${assignment%%=*}")
    done
    start_server "$bin"
    if [ ${#names[@]} -gt 0 ]; then unset "${names[@]}"; fi
    local url="$SERVER_URL/v1/calls"
    wrk -t1 -c"$CONNECTIONS" -d2s -s scripts/bench/calls.lua "$url" -- "$CALL" >"$SERVER_DIR/warm.out"
    local threads0 machine0 server0 machine1 server1 threads1
    threads0=$(thread_ns); machine0=$(machine_ticks); server0=$(server_ticks)
    wrk -t1 -c"$CONNECTIONS" -d"${SECS}s" -s scripts/bench/calls.lua "$url" -- "$CALL" >"$SERVER_DIR/wrk.out"
    machine1=$(machine_ticks); server1=$(server_ticks); threads1=$(thread_ns)
    # Every answer 201, by the fresh server's own counts (calls.lua has no per-response callback).
    local created other
    read -r created other < <(scripts/bench/calls-statuses.sh "$SERVER_URL")
    stop_server
    local bad rate top
    bad=$(cat "$SERVER_DIR/warm.out" "$SERVER_DIR/wrk.out" | awk -v other="$other" '/Non-2xx/ { n += $NF } END { print n + other }')
    [ "$created" -gt 0 ] || bad=$((bad + 1))
    rate=$(sed -n 's/^Requests\/sec: *//p' "$SERVER_DIR/wrk.out")
    rm -rf "$SERVER_DIR"
    [ "$bad" = 0 ] || { echo "calls-ab.sh: side $side: $bad answers were not 201" >&2; exit 1; }
    top=$(join <(echo "$threads0") <(echo "$threads1") | awk -v s="$SECS" '{ printf "%.0f\n", ($3 - $2) / s / 1e7 }' | sort -rn | head -4 | paste -sd/)
    echo "$side $rate $machine0 $machine1 $server0 $server1 $top" | awk -v tick="$TICK" -v s="$SECS" '{
        calls = $2 * s
        busy = ($5 - $3) / tick; idle = ($6 - $4) / tick
        printf "%s %.0f %.1f %.1f %.1f %s\n", $1, $2, ($8 - $7) / tick * 1e6 / calls, busy * 1e6 / calls, 100 * idle / (busy + idle), $9 }'
}

echo "A: $BIN_A ${AB_ENV_A:-}"
echo "B: $BIN_B ${AB_ENV_B:-}"
echo "side  req/s   server µs/call  machine µs/call  idle   busiest threads (% of a core)"
for _ in $(seq 1 "$PAIRS"); do
    for side in A B; do
        # Not in $(...): the server's PID and directory must stay visible to the EXIT trap.
        if [ "$side" = A ]; then one_run A "$BIN_A" "${AB_ENV_A:-}" >>"$OUT"; else one_run B "$BIN_B" "${AB_ENV_B:-}" >>"$OUT"; fi
        tail -1 "$OUT" | awk '{ printf "%-4s %7d  %14.1f  %15.1f  %4.1f%%  %s\n", $1, $2, $3, $4, $5, $6 }'
    done
done
python3 - "$OUT" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for side in "AB":
    mine = [r for r in rows if r[0] == side]
    med[side] = [statistics.median(float(r[i]) for r in mine) for i in (1, 2, 3, 4)]
    print("%s median: %.0f req/s, server %.1f µs/call, machine %.1f µs/call, idle %.1f%%" % (side, *med[side]))
a, b = med["A"], med["B"]
print("B/A: req/s %.3f, server CPU per call %.3f, machine CPU per call %.3f" % (b[0] / a[0], b[1] / a[1], b[2] / a[2]))
PY
