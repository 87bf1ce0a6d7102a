#!/usr/bin/env bash
# HTTP server figures on loopback: wrk req/s and p99 for GET /healthz, then the server's RSS while
# it holds N idle keep-alive connections (bound: 150 MiB for 10,000).
# Usage: scripts/bench/http.sh [SECONDS] [CONNECTIONS] [IDLE]   (defaults 10 64 10000)
# Env: RCRP_BIN (default .build/release/rcrp-router). Exit 1 if the RSS bound or the idle hold fails.
set -euo pipefail
secs=${1:-10}; conns=${2:-64}; idle=${3:-10000}
cd "$(dirname "$0")/../.."
bin=${RCRP_BIN:-.build/release/rcrp-router}
[ -x "$bin" ] || { echo "no $bin: run swift build -c release first" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null
work=$(mktemp -d); trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
"$bin" serve --dev --port 0 --data-dir "$work/data" >"$work/out" 2>"$work/err" & pid=$!
for _ in $(seq 300); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'listening on http://[^ ]*' "$work/out" | sed 's/.*://')
[ -n "$port" ] || { echo "server did not start" >&2; cat "$work/err" >&2; exit 2; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"
out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/healthz")
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
echo "GET /healthz: $rps req/s, p99 $p99 (wrk -t1 -c$conns -d${secs}s)"
python3 scripts/bench/idle-connections.py "$port" "$pid" "$idle" | tee "$work/idle"
rss=$(awk '{print $6}' "$work/idle")
mib=$((rss / 1024))
echo "RSS with $idle idle keep-alive connections: $mib MiB (bound 150 MiB)"
[ "$mib" -lt 150 ] || { echo "FAIL: RSS over 150 MiB" >&2; exit 1; }
