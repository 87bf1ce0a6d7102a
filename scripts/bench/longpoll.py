#!/usr/bin/env python3
"""Long-poll cost and latency against a running `rcrp-router serve --dev` (loopback only).

1. RSS of the server with N idle connections, then with N long polls waiting (one per agency).
2. Latency from a new handoff (its POST /v1/calls answered 201) to its agency's waiting poll
   answering, over TRIALS calls, each for a random one of the N agencies; p50/p99.

Usage: longpoll.py PORT SERVER_PID [N=1000] [TRIALS=300]
"""
import asyncio, json, os, random, statistics, sys, time

PORT = int(sys.argv[1]); PID = int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
TRIALS = int(sys.argv[4]) if len(sys.argv) > 4 else 300
CALL = json.load(open(os.environ.get("RCRP_BENCH_CALL", "/work/shared/bench/call.json")))

def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

async def request(method, path, key, body=None, conn=None):
    """One request on a fresh connection (or `conn`); returns (status, json)."""
    reader, writer = conn or await asyncio.open_connection("127.0.0.1", PORT)
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    head += f"Content-Length: {len(data)}\r\n\r\n"
    writer.write(head.encode() + data)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    payload = await reader.readexactly(length) if length else b""
    if conn is None:
        writer.close()
    try:
        return status, (json.loads(payload) if payload else None)
    except ValueError:
        return status, payload

async def main():
    agencies = [f"bench-asc-{i:04d}" for i in range(N)]
    sem = asyncio.Semaphore(32)
    async def register(agency_id, index):
        async with sem:
            status, _ = await request("POST", "/v1/agencies", "dev-admin", {
                "id": agency_id, "name": agency_id, "kind": "adult_social_care", "areas": [f"BENCH{index:04d}"],
                "acknowledge_within_minutes": 60, "accept_within_minutes": 240})
            assert status in (201, 409), status
    await asyncio.gather(*(register(a, i) for i, a in enumerate(agencies)))

    base = rss_kib()
    idle = [await asyncio.open_connection("127.0.0.1", PORT) for _ in range(N)]
    await asyncio.sleep(1)
    with_idle = rss_kib()
    for _, w in idle:
        w.close()
    await asyncio.sleep(1)
    base2 = rss_kib()
    # Idle keep-alive connections that have each served one request (the fair comparison:
    # a waiting poll has been read and routed too).
    used = []
    for _ in range(N):
        conn = await asyncio.open_connection("127.0.0.1", PORT)
        await request("GET", "/healthz", "none", conn=conn)
        used.append(conn)
    await asyncio.sleep(1)
    with_used = rss_kib()
    for _, w in used:
        w.close()
    await asyncio.sleep(1)
    base3 = rss_kib()

    cursors = {}
    for a in agencies:
        _, answer = await request("GET", f"/v1/agencies/{a}/handoffs?limit=500", "dev-supervisor")
        cursors[a] = answer["next_cursor"]
    conns = {a: await asyncio.open_connection("127.0.0.1", PORT) for a in agencies}
    polls = {}
    def arm(a):
        polls[a] = asyncio.ensure_future(request("GET", f"/v1/agencies/{a}/handoffs?after={cursors[a]}&wait=30",
                                                 "dev-supervisor", conn=conns[a]))
    for a in agencies:
        arm(a)
    await asyncio.sleep(2)
    with_polls = rss_kib()

    from_201, from_send = [], []
    for trial in range(TRIALS):
        index = random.randrange(N)
        a = agencies[index]
        call = dict(CALL, incident_ref=f"LP-{trial}", location=dict(CALL["location"], area=f"BENCH{index:04d}"))
        sent = time.perf_counter()
        status, created = await request("POST", "/v1/calls", "dev-control-room", call)
        created_at = time.perf_counter()
        assert status == 201, status
        pstatus, answer = await polls[a]
        got = time.perf_counter()
        assert pstatus == 200 and answer["handoffs"], (pstatus, answer)
        assert answer["handoffs"][0]["handoff_id"] == created["handoffs"][0]["handoff_id"]
        from_201.append(max(0.0, got - created_at) * 1000)
        from_send.append((got - sent) * 1000)
        cursors[a] = answer["next_cursor"]
        arm(a)
        await asyncio.sleep(0.005)

    def p(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))]
    print(f"rss_kib baseline={base} idle_{N}={with_idle} (+{with_idle - base}) "
          f"baseline={base2} idle_after_one_request_{N}={with_used} (+{with_used - base2}) "
          f"baseline={base3} polls_{N}={with_polls} (+{with_polls - base3})")
    print(f"poll_latency_ms_after_201 p50={p(from_201, .5):.2f} p99={p(from_201, .99):.2f} max={max(from_201):.2f} n={len(from_201)}")
    print(f"poll_latency_ms_after_post_sent p50={p(from_send, .5):.2f} p99={p(from_send, .99):.2f}")
    for f in polls.values():
        f.cancel()
    for _, w in conns.values():
        w.close()

asyncio.run(main())
