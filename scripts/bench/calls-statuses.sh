#!/usr/bin/env bash
# Prints "CREATED OTHER": how many POST /v1/calls answers the server at URL has counted with
# status 201, and with any other status, from its /metrics (rcrp_http_requests_total). The
# benchmarks check "every answer 201" here, on the server's side, rather than in a wrk Lua
# `response()` callback: that callback cost wrk ~1.5 µs of CPU per request on this 2-core
# machine, CPU taken from the server under test, and triage's script has none.
# Usage: scripts/bench/calls-statuses.sh URL
set -euo pipefail
command -v curl >/dev/null || { echo "calls-statuses.sh: curl is not installed" >&2; exit 2; }
curl -sf "$1/metrics" | awk '
    /^rcrp_http_requests_total\{/ && /method="POST"/ && /route="\/v1\/calls"/ {
        if ($0 ~ /status="201"/) created += $NF; else other += $NF
    }
    END { printf "%d %d\n", created, other }'
