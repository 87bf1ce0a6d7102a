#!/usr/bin/env bash
# Builds the release binary exactly as the Dockerfile does (the Dockerfile runs this script), so
# that CI tests what the container ships. With --check, also starts it with --dev on a free
# port, asks /readyz (with curl and with the binary's own probe), and stops it with SIGTERM.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/build-release.sh [--output DIR] [--check]
  --output DIR  copy the built binary to DIR/rcrp-router (the Dockerfile uses /out)
  --check       start the built binary, expect 200 from /readyz, stop it with SIGTERM, expect exit 0
Builds `swift build -c release --static-swift-stdlib --product rcrp-router`: the Swift runtime and
Foundation are linked in; libssl3, zlib1g and libtcmalloc-minimal4 are what it needs at run time.
USAGE
}

OUTPUT="" CHECK=0
while [ $# -gt 0 ]; do
    case $1 in
        --output) OUTPUT=$2; shift 2 ;;
        --check) CHECK=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

echo "+ swift build -c release --static-swift-stdlib --product rcrp-router"
swift build -c release --static-swift-stdlib --product rcrp-router
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/rcrp-router"
[ -x "$BIN" ] || { echo "build-release.sh: no binary at $BIN" >&2; exit 1; }

# The Swift runtime must not be a run-time dependency of the shipped binary.
if ldd "$BIN" | grep -E 'libswiftCore|libFoundation' >/dev/null; then
    echo "build-release.sh: $BIN links the Swift runtime dynamically:" >&2
    ldd "$BIN" >&2
    exit 1
fi
# Every malloc and free, the Swift runtime's included, must go to tcmalloc (Package.swift says why).
bindings=$(LD_DEBUG=bindings "$BIN" --version 2>&1 | grep -E "normal symbol .(malloc|free)'" || true)
if [ -z "$bindings" ] || echo "$bindings" | grep -v libtcmalloc >/dev/null; then
    echo "build-release.sh: malloc and free do not all bind to tcmalloc in $BIN:" >&2
    echo "${bindings:-(no bindings reported)}" >&2
    exit 1
fi
echo "built $BIN ($(du -h "$BIN" | cut -f1)); run-time libraries:"
ldd "$BIN" | awk '{print "  " $1}'

if [ -n "$OUTPUT" ]; then
    mkdir -p "$OUTPUT"
    cp "$BIN" "$OUTPUT/rcrp-router"
    echo "copied to $OUTPUT/rcrp-router"
fi

if [ "$CHECK" = 1 ]; then
    . scripts/lib/server.sh
    trap 'stop_server || true; rm -rf "${SERVER_DIR:-}"' EXIT
    echo "+ $BIN serve --dev --port 0"
    start_server "$BIN"
    echo "listening at $SERVER_URL"
    status=$(curl -sS -o /dev/null -w '%{http_code}' "$SERVER_URL/readyz")
    [ "$status" = 200 ] || { echo "build-release.sh: /readyz answered $status" >&2; cat "$SERVER_DIR/stderr" >&2; exit 1; }
    port=${SERVER_URL##*:}
    "$BIN" probe --port "$port" || { echo "build-release.sh: rcrp-router probe failed" >&2; exit 1; }
    stop_server
    echo "release binary answers /readyz and stops cleanly on SIGTERM"
fi
