#!/usr/bin/env python3
"""Holds N keep-alive connections open (each has done one GET /healthz), then prints the server's VmRSS.
Usage: scripts/bench/idle-connections.py PORT PID N   — exit 1 if any connection failed."""
import resource, socket, sys, time
port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
conns, failed = [], 0
req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(req)
        conns.append(s)
    except OSError:
        failed += 1
for s in conns:
    try:
        buf = b""
        while not buf.endswith(b"ok"):
            chunk = s.recv(4096)
            if not chunk: raise OSError("closed")
            buf += chunk
    except OSError:
        failed += 1
time.sleep(1)
rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
alive = 0
for s in conns:
    s.setblocking(False)
    try:
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(f"IDLE_CONNECTIONS {alive} FAILED {failed} RSS_KIB {rss}")
sys.exit(1 if failed or alive < n else 0)
