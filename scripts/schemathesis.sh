#!/usr/bin/env bash
# A bounded schemathesis run against a live `serve --dev` server: every operation of openapi.yaml,
# with the key of a role allowed to use it, checking that no answer is a 5xx and that every answer
# matches the document (status code, content type, headers, body schema).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/schemathesis.sh [--bin PATH] [--max-examples N] [--max-time SECONDS]
  --bin PATH          rcrp-router binary to start with --dev (default: the debug build)
  --max-examples N    test cases per operation and role (default 25)
  --max-time SECONDS  time budget for each role's run (default 120)
Needs `pip install schemathesis`.
USAGE
}

BIN="" EXAMPLES=25 MAXTIME=120
while [ $# -gt 0 ]; do
    case $1 in
        --bin) BIN=$2; shift 2 ;;
        --max-examples) EXAMPLES=$2; shift 2 ;;
        --max-time) MAXTIME=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/lib/server.sh
command -v schemathesis >/dev/null || { echo "schemathesis.sh: schemathesis is not installed (pip install schemathesis)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rcrp-schemathesis.XXXXXX")
trap 'stop_server || true; rm -rf "$WORK" "${SERVER_DIR:-}"' EXIT
[ -n "$BIN" ] || BIN=$(default_binary)
# Long polls would hold each generated request for up to `wait` seconds; one second keeps the
# run bounded and still exercises the waiting path.
RCRP_LONG_POLL_MAX_WAIT_SECONDS=1 start_server "$BIN"
echo "schemathesis.sh: against $SERVER_URL"

# One worker: hypothesis on Python 3.11 can crash parsing lambdas from several threads at once.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
failed=0
# role key, then the operations (by tag or path regex) that role may use
run() {
    local key=$1; shift
    echo "+ schemathesis run openapi.yaml (Bearer $key) $*"
    # Run inside $WORK so that hypothesis's scratch files stay out of the repository.
    if ! (cd "$WORK" && schemathesis --config-file "$ROOT/scripts/schemathesis.toml" run "$ROOT/openapi.yaml" --url "$SERVER_URL" \
            -H "Authorization: Bearer $key" \
            --checks "$CHECKS" --max-examples "$EXAMPLES" --max-time "$MAXTIME" \
            --request-timeout 10 --workers 1 --seed 20261122 --no-color \
            --suppress-health-check all --generation-database none \
            --output-truncate true "$@"); then
        failed=1
    fi
}
run dev-control-room --include-tag calls --include-tag escalations --include-tag service
run dev-admin --include-tag agencies --include-tag rules
run dev-agency-demo-mh-trust --include-tag handoffs
run dev-supervisor --include-tag stats --include-tag escalations
run dev-auditor --include-tag audit

stop_server
[ "$failed" = 0 ] || { echo "schemathesis.sh: FAILED (see above)" >&2; exit 1; }
echo "schemathesis.sh: no server errors, every answer matches openapi.yaml"
