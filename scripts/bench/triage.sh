#!/usr/bin/env bash
# Triage benchmark: rule-set validation time and engine decisions a second (one core, release).
# Usage: scripts/bench/triage.sh [RULES_PATH] [SECONDS]   (defaults: config/rules, 3)
# Targets: validation < 2 s; engine >= 1,000,000 decisions/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product TriageBench >/dev/null
exec taskset -c 0 .build/release/TriageBench "${1:-config/rules}" "${2:-3}"
