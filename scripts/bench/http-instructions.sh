#!/usr/bin/env bash
# CPU instructions per GET /healthz request, counted by callgrind (independent of machine load):
# `rcrp-router serve --dev` runs under valgrind; after REQUESTS/10 warm-up requests the counters
# are zeroed, REQUESTS requests are sent one at a time on one keep-alive connection (as wrk does
# per connection), and the counters are dumped. Everything the process executed meanwhile is
# counted (loop threads, and the service's own timers, a small share over a few seconds).
# Usage: scripts/bench/http-instructions.sh [REQUESTS=20000]   (RCRP_BIN to pick the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
REQUESTS=${1:-20000}
BIN=${RCRP_BIN:-.build/release/rcrp-router}
command -v valgrind >/dev/null || { echo "http-instructions.sh: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "http-instructions.sh: no binary at $BIN" >&2; exit 2; }
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
# Valgrind 3.19 cannot read the DWARF 5 debug info Swift emits: count on a copy without it.
objcopy --strip-debug "$BIN" "$WORK/rcrp-router"
RCRP_LISTEN_EVENT_LOOPS=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" \
    "$WORK/rcrp-router" serve --dev --port 0 --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!
PORT=""
for _ in $(seq 1 1200); do
    PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/server.log" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || { echo "server exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "server did not start" >&2; exit 1; }
drive() {
    python3 - "$PORT" "$1" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
buf = b""
for _ in range(n):
    s.sendall(req)
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode()
            length = int(next(l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")))
            if len(buf) >= end + 4 + length:
                assert head.startswith("HTTP/1.1 200"), head
                buf = buf[end + 4 + length:]
                break
        buf += s.recv(65536)
s.close()
PY
}
drive $((REQUESTS / 10))
callgrind_control -z "$PID" >/dev/null
drive "$REQUESTS"
callgrind_control -d "$PID" >/dev/null
sleep 1
TOTAL=$(for f in "$WORK"/cg.*; do sed -n 's/^summary: *\([0-9]*\)/\1/p' "$f"; done | sort -n | tail -1)
echo "instructions per GET /healthz: $((TOTAL / REQUESTS)) ($TOTAL over $REQUESTS requests, one event loop)"
