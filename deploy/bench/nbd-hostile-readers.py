#!/usr/bin/env python3
# nbd-hostile-readers.py — issue 11's hostile scenario against a running server, by hand.
#
#   deploy/bench/nbd-hostile-readers.py PORT SERVER-PID EXPORT [HOSTILE-CLIENTS]
#
# HOSTILE-CLIENTS (default 64) clients each send 16 READs of 32 MiB and never read a reply, while
# a well-behaved client reads 64 KiB (the same 1 MiB over and over, so it grows no cache) for
# 20 s. Prints the server's RSS (VmRSS of SERVER-PID, the java process) before and at its peak,
# and the well-behaved client's worst latency. Run it once with 0 hostile clients for the
# baseline. Use a large sparse export (e.g. size=32G) so every READ is copied into a buffer.
import socket, struct, sys, time
port, pid, export = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()

def recvall(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("server closed")
        b += c
    return b

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    recvall(s, 18)
    s.sendall(struct.pack(">I", 3))  # FIXED_NEWSTYLE | NO_ZEROES
    s.sendall(struct.pack(">QII", 0x49484156454F5054, 1, len(export)) + export)  # EXPORT_NAME
    recvall(s, 10)
    return s

def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1]) // 1024

def read(s, cookie, off, n):
    s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 0, cookie, off, n))

good = connect()
def good_read(i):
    t = time.monotonic()
    read(good, i, (i % 16) * 65536, 65536)
    hdr = recvall(good, 16)
    assert struct.unpack(">IIQ", hdr)[1] == 0
    recvall(good, 65536)
    return time.monotonic() - t

for i in range(200):
    good_read(i)
before = rss()
print("rss before MiB", before, flush=True)
clients = []
for c in range(int(sys.argv[4]) if len(sys.argv) > 4 else 64):
    s = connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    for k in range(16):
        read(s, k, ((c * 16 + k) * (32 << 20)) % (30 << 30), 32 << 20)
    clients.append(s)
worst = 0.0
peak = before
t0 = time.monotonic()
i = 0
while time.monotonic() - t0 < 20:
    worst = max(worst, good_read(1000 + i))
    i += 1
    peak = max(peak, rss())
print("rss peak MiB", peak, "growth MiB", peak - before, "good reads", i, "worst ms", round(worst * 1000, 1), flush=True)
