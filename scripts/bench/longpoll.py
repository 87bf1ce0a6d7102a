#!/usr/bin/env python3
"""Long-poll cost and latency against a running `rcrp-router serve --dev` (loopback only).

  longpoll.py rss idle|polls PORT SERVER_PID [N=1000]
      RSS growth of a *fresh* server for N client connections of one kind. Both kinds go through
      the same set-up first (register N agencies, read each one's cursor, one GET /metrics), so
      the two servers have the same history and malloc state when the baseline is taken. Then N
      connections are opened and each sends one request: `idle` sends GET /healthz and reads the
      answer (the connection then sits idle in keep-alive); `polls` sends a long poll
      (wait=30, the maximum) that parks. RSS is read once every connection is in that state: all answers
      read (idle) or the server's rcrp_long_polls_waiting gauge at N (polls), then 1 s of quiet.
      One run per server: measuring both kinds in one process would let the second reuse the
      memory the first freed (free lists stay resident) and look cheaper than it is.
      Prints: rss_kib KIND_N=+GROWTH baseline=B after=A
  longpoll.py latency PORT SERVER_PID [N=1000] [TRIALS=300]
      Latency from a new handoff (its POST /v1/calls answered 201) to its agency's waiting poll
      answering, over TRIALS calls, each for a random one of the N agencies; p50/p99.
"""
import asyncio, json, os, random, statistics, sys, time

MODE = sys.argv[1]
if MODE == "rss":
    KIND = sys.argv[2]; PORT = int(sys.argv[3]); PID = int(sys.argv[4])
    N = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    TRIALS = 0
    assert KIND in ("idle", "polls"), KIND
else:
    PORT = int(sys.argv[2]); PID = int(sys.argv[3])
    N = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    TRIALS = int(sys.argv[5]) if len(sys.argv) > 5 else 300
CALL = json.load(open(os.environ.get("BENCH_CALL", "/work/shared/bench/call.json")))

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

async def metric(name):
    _, text = await request("GET", "/metrics", "none")
    text = text.decode() if isinstance(text, bytes) else str(text)
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0

async def setup():
    """The same for both kinds, so that both servers reach the baseline with the same history."""
    agencies = [f"bench-asc-{i:04d}" for i in range(N)]
    sem = asyncio.Semaphore(32)
    async def register(agency_id, index):
        async with sem:
            status, _ = await request("POST", "/v1/agencies", "dev-admin", {
                "id": agency_id, "name": agency_id, "kind": "adult_social_care", "areas": [f"BENCH{index:04d}"],
                "acknowledge_within_minutes": 60, "accept_within_minutes": 240})
            assert status in (201, 409), status
    await asyncio.gather(*(register(a, i) for i, a in enumerate(agencies)))
    cursors = {}
    for a in agencies:
        _, answer = await request("GET", f"/v1/agencies/{a}/handoffs?limit=500", "dev-supervisor")
        cursors[a] = answer["next_cursor"]
    await metric("rcrp_long_polls_waiting")
    return agencies, cursors

async def rss_mode():
    agencies, cursors = await setup()
    await asyncio.sleep(1)
    base = rss_kib()
    conns = [await asyncio.open_connection("127.0.0.1", PORT) for _ in range(N)]
    if KIND == "idle":
        for conn in conns:
            status, _ = await request("GET", "/healthz", "none", conn=conn)
            assert status == 200, status
        await metric("rcrp_long_polls_waiting")   # the polls side asks this too: same work on both
    else:
        polls = [asyncio.ensure_future(request("GET", f"/v1/agencies/{a}/handoffs?after={cursors[a]}&wait=30",
                                               "dev-supervisor", conn=conn)) for a, conn in zip(agencies, conns)]
        for _ in range(600):
            if await metric("rcrp_long_polls_waiting") >= N:
                break
            await asyncio.sleep(0.05)
        else:
            raise SystemExit(f"only {await metric('rcrp_long_polls_waiting')} of {N} polls parked")
        assert not any(p.done() for p in polls), "a poll was answered before the measurement"
    await asyncio.sleep(1)
    after = rss_kib()
    print(f"rss_kib {KIND}_{N}=+{after - base} baseline={base} after={after}")
    for _, w in conns:
        w.close()

async def latency_mode():
    agencies, cursors = await setup()
    conns = {a: await asyncio.open_connection("127.0.0.1", PORT) for a in agencies}
    polls = {}
    def arm(a):
        polls[a] = asyncio.ensure_future(request("GET", f"/v1/agencies/{a}/handoffs?after={cursors[a]}&wait=30",
                                                 "dev-supervisor", conn=conns[a]))
    for a in agencies:
        arm(a)
    await asyncio.sleep(2)

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
    print(f"poll_latency_ms_after_201 p50={p(from_201, .5):.2f} p99={p(from_201, .99):.2f} max={max(from_201):.2f} n={len(from_201)}")
    print(f"poll_latency_ms_after_post_sent p50={p(from_send, .5):.2f} p99={p(from_send, .99):.2f}")
    for f in polls.values():
        f.cancel()
    for _, w in conns.values():
        w.close()

asyncio.run(rss_mode() if MODE == "rss" else latency_mode())
