#!/usr/bin/env python3
"""Slow clients must not slow anyone else down, and must not stay.

Usage: scripts/slow-clients.py [--trickle 300] [--idle 1000] [--p99-ms 100] [--close-within 25]
Env: RCRP_BIN (default .build/release/rcrp-router).

Starts `rcrp-router serve --dev --port 0`, opens IDLE connections that send nothing and TRICKLE
connections that send a request head a few bytes a second, and meanwhile times GET /healthz on
a separate connection. Fails (exit 1) if the p99 of those requests is over the bound or if the
server has not closed every slow connection within CLOSE_WITHIN seconds of its opening.
"""
import argparse, os, re, resource, selectors, socket, subprocess, sys, tempfile, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--trickle", type=int, default=300)
ap.add_argument("--idle", type=int, default=1000)
ap.add_argument("--p99-ms", type=float, default=100.0)
ap.add_argument("--close-within", type=float, default=25.0)
args = ap.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
need = args.trickle + args.idle + 100
if hard < need:
    sys.exit(f"RLIMIT_NOFILE hard limit {hard} < {need}")

binary = os.environ.get("RCRP_BIN", ".build/release/rcrp-router")
data = tempfile.mkdtemp(prefix="rcrp-slow-")
server = subprocess.Popen([binary, "serve", "--dev", "--port", "0", "--data-dir", data],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port = None
    deadline = time.time() + 30
    while time.time() < deadline:
        line = server.stdout.readline()
        m = re.search(r"listening on https?://[^:]+:(\d+)", line or "")
        if m:
            port = int(m.group(1))
            break
        if not line and server.poll() is not None:
            break
    if port is None:
        sys.exit("server did not report 'listening on'")

    def connect():
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        return s

    opened = {}
    sel = selectors.DefaultSelector()
    for _ in range(args.idle):
        s = connect(); opened[s] = time.time(); sel.register(s, selectors.EVENT_READ)
    tricklers = []
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    for _ in range(args.trickle):
        s = connect(); opened[s] = time.time(); sel.register(s, selectors.EVENT_READ); tricklers.append([s, 0])
    print(f"opened {args.idle} idle and {args.trickle} trickling connections to port {port}", flush=True)

    latencies = []
    stop = threading.Event()
    def probe():
        c = socket.create_connection(("127.0.0.1", port)); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not stop.is_set():
            t0 = time.perf_counter()
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            buf = b""
            while b"\r\n\r\n" not in buf or not buf.endswith(b"ok"):
                chunk = c.recv(4096)
                if not chunk: raise SystemExit("probe connection closed")
                buf += chunk
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.005)
        c.close()
    prober = threading.Thread(target=probe, daemon=True); prober.start()

    closed_late = 0
    open_count = len(opened)
    start = time.time()
    last_trickle = 0.0
    while opened and time.time() - start < args.close_within + 5:
        now = time.time()
        if now - last_trickle >= 0.5:  # two bytes a second per trickler
            last_trickle = now
            for t in tricklers:
                s, pos = t
                if s in opened and pos < len(head):
                    try: s.send(head[pos:pos + 1]); t[1] = pos + 1
                    except OSError: pass
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk: raise ConnectionResetError
            except BlockingIOError:
                continue
            except OSError:
                age = time.time() - opened.pop(s)
                if age > args.close_within: closed_late += 1
                sel.unregister(s); s.close()
    stop.set(); prober.join(timeout=5)
    still_open = len(opened)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("inf")
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("inf")
    print(f"healthz during slow clients: {len(latencies)} requests, p50 {p50:.2f} ms, p99 {p99:.2f} ms (bound {args.p99_ms} ms)")
    print(f"slow connections: {open_count} opened, {open_count - still_open} closed by the server, "
          f"{still_open} still open after {time.time() - start:.1f} s, {closed_late} closed later than {args.close_within} s")
    ok = p99 < args.p99_ms and still_open == 0 and closed_late == 0 and len(latencies) > 100
    print("slow-clients: PASS" if ok else "slow-clients: FAIL")
    sys.exit(0 if ok else 1)
finally:
    server.terminate()
    try: server.wait(timeout=15)
    except subprocess.TimeoutExpired: server.kill()
