#!/usr/bin/env bash
# Ledger benchmarks (not tests), with a release build of the LedgerBench target:
#  1. a single appender's median append latency against a bare write+fdatasync of the same
#     size on the same disk, measured in the same run, both appending to a file (fdatasync then
#     writes the inode's size too) and over blocks already written with zeros and synced (data
#     only, what the ledger's zero region gives a commit). The honest target: within 2x of the
#     overwrite figure (the ratio is printed);
#  2. throughput with 64 concurrent appenders, one event per append, each durable before it
#     returns (target: >= 50,000 events/s);
#  3. start-up replay: 1,000,000 events in a snapshot plus a 10,000-event tail (target: the
#     ledger's part, loading the snapshot and reading+verifying the tail, < 2 s; the open-time
#     scan of all 1,010,000 records is reported too).
#
#   scripts/bench/ledger.sh [all|latency|throughput|replay] [LedgerBench flags]
#   e.g. scripts/bench/ledger.sh throughput --events 200000 --appenders 64
#   --zero-fill 0 runs without the zero region (as before it existed), for before/after runs.
#   --direct-io no writes through the page cache (as before O_DIRECT), likewise.
#
# Runs on the disk holding LEDGER_BENCH_DIR (default .build/ledger-bench, removed afterwards);
# the replay fixture needs ~1.6 GB there. The machine's load is printed before and after:
# fdatasync latency, and so every figure here, moves with whatever else uses the disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE="${1:-all}"
shift || true
DIR="${LEDGER_BENCH_DIR:-.build/ledger-bench}"
swift build -c release --product LedgerBench >/dev/null
echo "ledger bench: $(nproc) cores, $(df -h --output=source,fstype "$(dirname "$DIR")" | tail -1 | tr -s ' '), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
.build/release/LedgerBench "$MODE" --dir "$DIR" "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
