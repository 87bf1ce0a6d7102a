#!/usr/bin/env bash
# Crash test of "durable before acknowledged": runs the real server, POSTs calls over many
# connections, kills it with SIGKILL at random moments, restarts it, and checks that every call
# that got a 201 is still there and that `rcrp-router verify-ledger` passes after every crash.
#
#   scripts/crash-test.sh [ROUNDS]        (default 20; CI runs a short version, e.g. 3)
#
# Environment: RCRP_BIN (default .build/release/rcrp-router), CONNECTIONS (default 16),
# CRASH_SEED (random seed, printed so a failing run can be repeated), KEEP_DATA=1 to keep the
# data directory. Needs python3 and a built server; binds 127.0.0.1 only.
#   scripts/crash-test.sh --ledger-only [ROUNDS]
#                                         the same against the ledger alone (no server): a
#                                         LedgerBench child appends from 16 tasks and prints each
#                                         record once its append returned; after each SIGKILL
#                                         every printed record must be there with its hash
#                                         (1 MiB segments, so kills land around rotations too).
#                                         Each round also says what the kill left at the end
#                                         of the last segment: the writer's zero region (clean),
#                                         a torn tail, or neither (killed around a rotation).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--ledger-only" ]]; then
    ROUNDS="${2:-20}"
    swift build -c release --product LedgerBench >/dev/null
    exec python3 - .build/release/LedgerBench "$ROUNDS" "${CRASH_SEED:-}" <<'PYTHON'
import os, random, shutil, signal, subprocess, sys, tempfile, threading, time
bench, rounds, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seed = int(seed) if seed else random.randrange(1 << 30)
rng = random.Random(seed)
work = tempfile.mkdtemp(prefix="rcrp-ledger-crash-")
ledger, acked = os.path.join(work, "ledger"), os.path.join(work, "acked.txt")
print(f"crash-test --ledger-only: {rounds} rounds, seed {seed}, dir {work}", flush=True)
total = 0
for round_no in range(1, rounds + 1):
    child = subprocess.Popen([bench, "crash-child", "--dir", ledger, "--segment-bytes", str(1 << 20)], stdout=subprocess.PIPE)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout.read().decode().split("\n")), daemon=True)
    reader.start()
    time.sleep(rng.uniform(0.2, 1.2))
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(10)
    # Only whole lines count; the last one may have been cut by the kill.
    complete = [l for l in lines[:-1] if l and not l.startswith("opened")]
    total += len(complete)
    with open(acked, "a") as f:
        f.write("".join(l + "\n" for l in complete))
    check = subprocess.run([bench, "crash-check", "--dir", ledger], env=dict(os.environ, ACKED=acked), capture_output=True, text=True)
    summary = " | ".join((check.stdout + check.stderr).strip().splitlines())
    print(f"round {round_no}: {len(complete)} acknowledged this round, {total} in all; {summary}", flush=True)
    if check.returncode != 0:
        print(f"crash-test --ledger-only: FAIL (seed {seed}; kept {work})", flush=True)
        sys.exit(1)
print(f"crash-test --ledger-only: PASS: {rounds} SIGKILLs, {total} acknowledged records all present, chain verified", flush=True)
shutil.rmtree(work, ignore_errors=True)
PYTHON
fi
ROUNDS="${1:-20}"
BIN="${RCRP_BIN:-.build/release/rcrp-router}"
if [[ ! -x "$BIN" ]]; then
    echo "crash-test: no server binary at $BIN (swift build -c release --product rcrp-router, or set RCRP_BIN)" >&2
    exit 2
fi
exec python3 - "$BIN" "$ROUNDS" "${CONNECTIONS:-16}" "${CRASH_SEED:-}" "${KEEP_DATA:-0}" <<'PYTHON'
import http.client, json, os, random, re, shutil, signal, subprocess, sys, tempfile, threading, time

binary, rounds, connections, seed, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
seed = int(seed) if seed else random.randrange(1 << 30)
rng = random.Random(seed)
data = tempfile.mkdtemp(prefix="rcrp-crash-")
ledger_dir = os.path.join(data, "ledger")
log_path = os.path.join(data, "server.log")
run_id = "%x" % rng.randrange(1 << 32)
with open("/work/shared/bench/call.json" if os.path.exists("/work/shared/bench/call.json") else os.devnull) as f:
    text = f.read()
template = json.loads(text) if text else None
if template is None:
    template = {"incident_ref": "X", "call_type": "concern_for_welfare", "received_at": "2026-11-22T10:15:00Z",
                "caller": {"type": "public"}, "location": {"area": "E06000031", "setting": "home"},
                "risk": {"care_need": True}, "partner_steps_taken": []}

print(f"crash-test: {rounds} rounds, {connections} connections, seed {seed}, data {data}", flush=True)
acknowledged = {}          # call_id -> incident_ref
lock = threading.Lock()
problems = []

current = None             # the server process running now, killed on failure or any exit

def kill_current():
    if current is not None and current.poll() is None:
        current.kill()
        current.wait()

import atexit
atexit.register(kill_current)

def fail(message):
    kill_current()
    print("crash-test: FAIL: " + message, flush=True)
    try:
        with open(log_path, "rb") as f:
            tail = f.read()[-4000:].decode("utf-8", "replace")
        print("---- server log tail ----\n" + tail, flush=True)
    except OSError:
        pass
    print(f"crash-test: data kept in {data} (seed {seed})", flush=True)
    sys.exit(1)

def start_server():
    global current
    log = open(log_path, "ab")
    proc = subprocess.Popen([binary, "serve", "--dev", "--port", "0", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    current = proc
    port = None
    deadline = time.time() + 120
    found = threading.Event()
    def read_stdout():
        nonlocal port
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            log.write(b"[stdout] " + raw)
            log.flush()
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m and port is None:
                port = int(m.group(1))
                found.set()
    threading.Thread(target=read_stdout, daemon=True).start()
    while not found.is_set():
        if proc.poll() is not None:
            fail(f"server exited with status {proc.returncode} before listening")
        if time.time() > deadline:
            fail("server did not print 'listening on http://127.0.0.1:PORT' within 120 s")
        found.wait(0.05)
    return proc, port

def request(conn, method, path, key, body=None):
    headers = {"Authorization": "Bearer " + key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()

def check_all(port, label):
    """Every acknowledged call must be readable, with its incident_ref."""
    with lock:
        items = list(acknowledged.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for call_id, ref in items:
        status, body = None, b""
        for key in ("dev-supervisor", "dev-control-room"):
            status, body = request(conn, "GET", "/v1/calls/" + call_id, key)
            if status == 200:
                break
        if status != 200:
            fail(f"{label}: acknowledged call {call_id} ({ref}) answers {status}: {body[:300]!r}")
        if ref.encode() not in body:
            fail(f"{label}: call {call_id} does not carry its incident_ref {ref}: {body[:300]!r}")
    conn.close()
    return len(items)

def verify_ledger(label):
    target = ledger_dir if os.path.isdir(ledger_dir) else data
    result = subprocess.run([binary, "verify-ledger", target], capture_output=True, text=True, timeout=600)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        fail(f"{label}: verify-ledger {target} exited {result.returncode}:\n{output}")
    return output

def writer(port, round_no, worker, stop, sent):
    conn = None
    n = 0
    while not stop.is_set():
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            n += 1
            ref = f"CRASH-{run_id}-{round_no}-{worker}-{n}"
            call = dict(template)
            call["incident_ref"] = ref
            status, body = request(conn, "POST", "/v1/calls", "dev-control-room", json.dumps(call).encode())
            sent[worker] += 1
            if 200 <= status < 300:
                call_id = json.loads(body)["call_id"]
                with lock:
                    acknowledged[call_id] = ref
            elif status in (429, 503):
                time.sleep(0.01)
            else:
                with lock:
                    problems.append(f"POST /v1/calls answered {status}: {body[:300]!r}")
                stop.set()
        except (OSError, http.client.HTTPException, ValueError):
            # The server died mid-request: this call was not acknowledged, so it may or may not exist.
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.005)

for round_no in range(1, rounds + 1):
    proc, port = start_server()
    checked = check_all(port, f"round {round_no} after restart")
    stop = threading.Event()
    sent = [0] * connections
    threads = [threading.Thread(target=writer, args=(port, round_no, w, stop, sent), daemon=True) for w in range(connections)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.3, 2.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join(15)
    if problems:
        fail(problems[0])
    note = verify_ledger(f"round {round_no} after SIGKILL").splitlines()
    print(f"round {round_no}: checked {checked} earlier calls; sent {sum(sent)}; acknowledged so far {len(acknowledged)}; "
          f"verify-ledger: {' | '.join(note)}", flush=True)

proc, port = start_server()
checked = check_all(port, "final restart")
proc.send_signal(signal.SIGTERM)
try:
    proc.wait(30)
except subprocess.TimeoutExpired:
    proc.kill()
    fail("server did not stop within 30 s of SIGTERM")
final = verify_ledger("final")
if checked == 0:
    fail("no call was ever acknowledged; nothing was tested")
print(f"crash-test: PASS: {rounds} SIGKILLs, {checked} acknowledged calls all present; verify-ledger: {' | '.join(final.splitlines())}", flush=True)
if not keep:
    shutil.rmtree(data, ignore_errors=True)
PYTHON
