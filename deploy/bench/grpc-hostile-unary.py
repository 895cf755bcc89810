#!/usr/bin/env python3
# grpc-hostile-unary.py — issue 11's hostile scenario on the gRPC port of a running server, by hand.
#
#   deploy/bench/grpc-hostile-unary.py PORT SERVER-PID [CONNECTIONS [CALLS]]
#
# CONNECTIONS (default 31: one less than the per-source cap, for the well-behaved client) each
# start CALLS (default 40) Stat calls whose request, 1 MiB, is sent and never half-closed, so the
# server's unary handler would keep it until the call ends. Meanwhile a well-behaved client on its
# own connection calls Stat (a handle nobody has: answered NOT_FOUND at once) for 20 s. Prints the
# server's RSS (VmRSS of SERVER-PID, the java process) before and at its peak, how the hostile
# calls ended (RESOURCE_EXHAUSTED: refused by the call queue), and the well-behaved client's worst
# latency. Needs python3-grpcio (/usr/bin/python3).
import asyncio, sys, time
import grpc

port, pid = int(sys.argv[1]), int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 31
calls = int(sys.argv[4]) if len(sys.argv) > 4 else 40
STAT = "/blockhaus.v1.VolumeIo/Stat"

def stat_request(handle: bytes) -> bytes:
    # StatRequest{handle = 1}: tag 0x0a, varint length, bytes.
    n, v = len(handle), b""
    while True:
        b = n & 0x7F
        n >>= 7
        v += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return b"\x0a" + v + handle

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

async def main():
    target = f"127.0.0.1:{port}"
    huge = stat_request(b"h" * (1 << 20))
    never = asyncio.Event()
    ended = {}

    async def hold(ch):
        async def one():
            yield huge
            await never.wait()  # never half-closes
        try:
            await ch.stream_unary(STAT, request_serializer=None, response_deserializer=None)(one())
            ended["OK"] = ended.get("OK", 0) + 1
        except grpc.aio.AioRpcError as e:
            ended[e.code().name] = ended.get(e.code().name, 0) + 1

    before = rss_kib()
    # Distinct channel arguments keep grpc from sharing one connection between channels.
    channels = [grpc.aio.insecure_channel(target, options=[("blockhaus.test.conn", i)]) for i in range(conns)]
    tasks = [asyncio.ensure_future(hold(ch)) for ch in channels for _ in range(calls)]
    good = grpc.aio.insecure_channel(target, options=[("blockhaus.test.conn", -1)])
    small = stat_request(b"nobody")
    lat, peak = [], before
    end = time.monotonic() + 20
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            await good.unary_unary(STAT, request_serializer=None, response_deserializer=None)(small, timeout=10)
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                print("well-behaved call:", e.code().name, e.details())
        lat.append(time.monotonic() - t)
        peak = max(peak, rss_kib())
        await asyncio.sleep(0.05)
    print(f"hostile: {conns} connections x {calls} calls of 1 MiB never half-closed; ended so far: {ended}")
    print(f"server RSS: before {before // 1024} MiB, peak {peak // 1024} MiB, grew {(peak - before) // 1024} MiB")
    s = sorted(lat)
    print(f"well-behaved client: {len(s)} calls, latency median {s[len(s) // 2] * 1000:.0f} ms,"
          f" worst {s[-1] * 1000:.0f} ms; worst after its first 5 s {max(lat[len(lat) // 4:]) * 1000:.0f} ms"
          " (the first seconds share this client's own event loop with sending the hostile megabytes)")
    never.set()
    for ch in channels:
        await ch.close()
    await good.close()

asyncio.run(main())
