#!/usr/bin/env bash
# Fuzzes the HTTP request parser with libFuzzer + AddressSanitizer.
# Usage: scripts/fuzz-parser.sh SECONDS
# Builds Fuzz/ParserFuzzTarget.swift with the parser's sources (no sockets, no other modules),
# grows a corpus in .fuzz/corpus (git-ignored) from Fuzz/seeds, and exits non-zero on any finding
# (crash, sanitizer report, or the parser giving different results for differently split input).
set -euo pipefail
if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
out=.fuzz
mkdir -p "$out/corpus" "$out/findings"
src=Sources/HTTPServer
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name ParserFuzz \
  "$src/RequestParser.swift" "$src/RequestHead.swift" "$src/HTTPParseError.swift" "$src/HTTPLimits.swift" \
  "$src/HTTPMethod.swift" "$src/HTTPHeaders.swift" Fuzz/ParserFuzzTarget.swift \
  -o "$out/parser-fuzz" 2> >(grep -v "ld.gold: warning: Cannot export local symbol '__asan" >&2)
set +e
"$out/parser-fuzz" "$out/corpus" Fuzz/seeds -max_total_time="$1" -max_len=4096 -timeout=10 \
  -artifact_prefix="$out/findings/" -print_final_stats=1 2>&1 | tee "$out/last-run.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|stat::number_of_executed_units|Fatal error|==[0-9]+=="
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ] || ls "$out/findings"/* >/dev/null 2>&1; then
  echo "fuzz-parser: FINDING (exit $status); see $out/findings and $out/last-run.log" >&2
  exit 1
fi
echo "fuzz-parser: no findings in $1 s ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/last-run.log" | awk '{print $2}') runs, corpus $(ls "$out/corpus" | wc -l) inputs)"
