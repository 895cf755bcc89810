# One client reads from the export over a slow disk (asynchronously: a 64 KiB READ, which the
# server would send from the file, and a 4 KiB one, which it would try on the event loop) while
# another reads and writes 4 KiB at a time on another export of the same server, timing each of
# its requests, until both slow READs are answered (and at least 20 requests were timed).
# Usage: slowdisk.py SLOW_URI FAST_URI; prints one JSON object.
import json
import sys
import time

import nbd

slow = nbd.NBD()
slow.connect_uri(sys.argv[1])
fast = nbd.NBD()
fast.connect_uri(sys.argv[2])

payload = bytes(range(256)) * 16
for i in range(50):  # untimed: the first requests load and compile the server's paths
    fast.pwrite(payload, i * 4096)
    fast.pread(4096, i * 4096)

big = nbd.Buffer(64 * 1024)
small = nbd.Buffer(4096)
t0 = time.monotonic()
pending = {slow.aio_pread(big, 0), slow.aio_pread(small, 1 << 20)}  # sent at once: the connection is idle

worst = 0.0
worst_at = -1
count = 0
slow_done = None
while slow_done is None or count < 20:
    off = (count * 4096) % (8 << 20)
    start = time.monotonic()
    if count % 2 == 0:
        fast.pwrite(payload, off)
    else:
        if fast.pread(4096, off - 4096) != payload:
            raise SystemExit("fast export read back the wrong bytes")
    if time.monotonic() - start > worst:
        worst, worst_at = time.monotonic() - start, count
    count += 1
    # Wait a little for the slow replies between the fast requests: this paces the fast client
    # (some 200 requests a second) so that its latencies measure the server, not a CPU it
    # saturates itself on a small machine.
    slow.poll(5)
    for c in list(pending):
        if slow.aio_command_completed(c):
            pending.discard(c)
    if slow_done is None and not pending:
        slow_done = time.monotonic() - t0
    if time.monotonic() - t0 > 50:
        raise SystemExit("the slow reads took over 50 s")

print(json.dumps({
    "slow_seconds": slow_done,
    "fast_requests": count,
    "fast_worst_ms": worst * 1000.0,
    "fast_worst_at": worst_at,
    "slow_zeroes": not any(big.to_bytearray()) and not any(small.to_bytearray()),
}))
