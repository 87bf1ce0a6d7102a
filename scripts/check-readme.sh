#!/usr/bin/env bash
# Follows the README's curl walkthrough against a live --dev server and fails if any example does
# not work as written. The walkthrough is every ```sh block between the markers
# <!-- walkthrough --> and <!-- /walkthrough -->, run in order in one shell (so ids captured into
# variables carry over), with `set -euo pipefail` and the README's http://127.0.0.1:8080 pointed
# at the server started here.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/check-readme.sh [--bin PATH] [--readme FILE] [--print]
  --bin PATH     rcrp-router binary to start with --dev on a free port (default: the debug build)
  --readme FILE  default README.md
  --print        only print the extracted walkthrough script
Needs curl and jq, as the README does.
USAGE
}

BIN="" README=README.md PRINT=0
while [ $# -gt 0 ]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --readme) README=$2; shift 2 ;;
        --print) PRINT=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
. scripts/lib/server.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rcrp-readme.XXXXXX")
trap 'stop_server || true; rm -rf "$WORK" "${SERVER_DIR:-}"' EXIT

# Each block is echoed before it runs, so a failure points at the README's example.
awk '
    /<!-- walkthrough -->/  { inside = 1; next }
    /<!-- \/walkthrough -->/ { inside = 0; next }
    inside && /^```sh[[:space:]]*$/ { block = 1; n++; printf "echo \"--- README walkthrough block %d (line %d)\"\n", n, NR; next }
    block && /^```[[:space:]]*$/ { block = 0; next }
    block { print }
' "$README" >"$WORK/walkthrough.body"

blocks=$(grep -c '^echo "--- README walkthrough block' "$WORK/walkthrough.body" || true)
if [ "$blocks" -eq 0 ]; then
    echo "check-readme: no \`\`\`sh blocks between <!-- walkthrough --> markers in $README" >&2
    exit 1
fi
if [ "$PRINT" = 1 ]; then cat "$WORK/walkthrough.body"; exit 0; fi

[ -n "$BIN" ] || BIN=$(default_binary)
start_server "$BIN"
echo "check-readme: $blocks blocks from $README against $SERVER_URL"
{
    echo 'set -euo pipefail'
    echo 'set -x'
    sed "s#http://127\.0\.0\.1:8080#$SERVER_URL#g; s#http://localhost:8080#$SERVER_URL#g" "$WORK/walkthrough.body"
} >"$WORK/walkthrough.sh"

if ! (cd "$WORK" && bash "$WORK/walkthrough.sh") >"$WORK/output" 2>&1; then
    cat "$WORK/output"
    echo "check-readme: FAILED: a README walkthrough example did not work as written (see the last command above)" >&2
    exit 1
fi
stop_server
echo "check-readme: all $blocks walkthrough blocks work as written"
