#!/usr/bin/env bash
# Why does the machine sit partly idle while durable calls run? Records every context switch of
# the machine (`perf sched record -a`) for SECONDS under wrk's calls load on a fresh
# `serve --dev` server, then prints from `perf sched timehist`:
#   - each group's share of all CPUs: the event loops (threads named rcrp-loop-*), the server's
#     other threads (chiefly the committer, on a Dispatch worker), wrk, the rest, and idle;
#   - the idle time by which thread last ran on that CPU before it went idle, and which thread
#     ended it;
#   - what the other CPUs ran meanwhile, and how long every CPU was idle at once.
# If every CPU is rarely idle at once, the idle is not the disk: it is CPUs left without work
# while the rest of the machine runs, e.g. event loops waiting for answers that the one
# committer is still computing (README, "Performance").
# Usage: scripts/bench/idle-overlap.sh [SECONDS=1]   (needs perf: apt-get install -y linux-perf)
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS=${1:-1}
BIN=${RCRP_BIN:-.build/release/rcrp-router}
CALL=${BENCH_CALL:-../shared/bench/call.json}
command -v wrk >/dev/null || { echo "idle-overlap.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
command -v perf >/dev/null || { echo "idle-overlap.sh: perf is not installed (apt-get install -y linux-perf)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "idle-overlap.sh: no binary at $BIN (swift build -c release, or set RCRP_BIN)" >&2; exit 2; }

. scripts/lib/server.sh
DATA=$(mktemp -d)
WRK=""
cleanup() {
    if [ -n "$WRK" ]; then kill "$WRK" 2>/dev/null || true; wait "$WRK" 2>/dev/null || true; fi
    stop_server || true
    rm -rf "$DATA" "${SERVER_DIR:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_server "$BIN"
PID=$SERVER_PID
URL="$SERVER_URL/v1/calls"
wrk -t1 -c64 -d2s -s scripts/bench/calls.lua "$URL" -- "$CALL" >/dev/null
wrk -t1 -c64 -d"$((SECS + 3))s" -s scripts/bench/calls.lua "$URL" -- "$CALL" >"$DATA/wrk.out" &
WRK=$!
sleep 1.5
perf sched record -a -o "$DATA/sched.data" -- sleep "$SECS" >/dev/null 2>&1
wait "$WRK"; WRK=""
echo "calls during the recording: $(sed -n 's/^Requests\/sec: *//p' "$DATA/wrk.out") req/s (wrk, c64)"
perf sched timehist -i "$DATA/sched.data" 2>/dev/null | tail -n +4 >"$DATA/timehist.txt"
python3 - "$DATA/timehist.txt" "$PID" <<'PY'
import collections, re, sys

path, server = sys.argv[1], sys.argv[2]
# "time [cpu] comm[tid/pid] wait sch-delay run": a task (or <idle>) ran on cpu for `run` ms until `time`
row = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+(.*?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
def group(task):
    if task.startswith("<idle>"):
        return "idle"
    m = re.match(r"(.*)\[(\d+)(?:/(\d+))?\]$", task)
    name, pid = (m.group(1), m.group(3) or m.group(2)) if m else (task, "")
    if name.startswith("rcrp-loop-"):
        return "event loops"
    if pid == server:
        return "server, other threads"
    if name == "wrk":
        return "wrk"
    return "other"

slices = collections.defaultdict(list)  # cpu -> [(start, end, group)]
for line in open(path):
    m = row.match(line)
    if not m:
        continue
    end, cpu, task, run = float(m.group(1)), int(m.group(2)), m.group(3), float(m.group(6)) / 1000
    slices[cpu].append((end - run, end, group(task)))
if not slices:
    sys.exit("idle-overlap.sh: perf sched recorded nothing")
start = max(s[0][0] for s in slices.values() if s)
stop = min(s[-1][1] for s in slices.values() if s)
span = stop - start
cpus = len(slices)
share = collections.Counter()
before = collections.Counter()
after = collections.Counter()
events = []
for cpu, items in slices.items():
    items.sort()
    for i, (a, b, g) in enumerate(items):
        a, b = max(a, start), min(b, stop)
        if b <= a:
            continue
        share[g] += b - a
        if g == "idle":
            before[items[i - 1][2] if i > 0 else "?"] += b - a
            after[items[i + 1][2] if i + 1 < len(items) else "?"] += b - a
            events += [(a, 1), (b, -1)]
# While a CPU idles, what runs on the others (time-weighted).
meanwhile = collections.Counter()
for cpu, items in slices.items():
    for a, b, g in items:
        if g != "idle":
            continue
        a, b = max(a, start), min(b, stop)
        for other, theirs in slices.items():
            if other == cpu:
                continue
            for c, d, h in theirs:
                if d > a and c < b and h != "idle":
                    meanwhile[h] += min(b, d) - max(a, c)
everyone = 0.0
level, last = 0, None
for t, d in sorted(events):
    if level == cpus and last is not None:
        everyone += t - last
    level += d
    last = t
pct = lambda x: 100 * x / (span * cpus)
print(f"{cpus} CPUs, {span * 1000:.0f} ms recorded")
print("share of all CPUs: " + ", ".join(f"{g} {pct(v):.1f}%" for g, v in share.most_common()))
idle = share["idle"] or 1
print("idle began after:  " + ", ".join(f"{g} {100 * v / idle:.0f}%" for g, v in before.most_common(4)))
print("idle ended by:     " + ", ".join(f"{g} {100 * v / idle:.0f}%" for g, v in after.most_common(4)))
busy_meanwhile = sum(meanwhile.values()) or 1
print("while a CPU idles, the others run: " + ", ".join(f"{g} {100 * v / busy_meanwhile:.0f}%" for g, v in meanwhile.most_common(4)))
print(f"every CPU idle at once: {100 * everyone / span:.1f}% of the time")
PY
