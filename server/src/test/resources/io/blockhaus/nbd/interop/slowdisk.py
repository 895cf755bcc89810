# One client reads from the export over a slow disk (asynchronously: a 64 KiB READ, which the
# server would send from the file, and a 4 KiB one, which it would try on the event loop) while
# another reads and writes 4 KiB at a time on another export of the same server, timing each of
# its requests, until both slow READs are answered (and at least 20 requests were timed).
# Usage: slowdisk.py SLOW_URI FAST_URI SERVER_PID; prints one JSON object.
#
# Each fast request is timed twice: as the client saw it ("raw"), and without the time that this
# client's thread and the server's NBD threads (event loops and workers) spent runnable but not
# running, waiting for a CPU (run_delay in /proc/PID/task/TID/schedstat). On a machine loaded by
# other work that wait alone reached 20-100 ms (the event loop's own run_delay accounted for nearly
# all of the slow samples: docs/benchmarks/slowdisk-2026-12-05.md). It is never time spent waiting
# for a disk: a thread blocked on a read sleeps, it is not runnable, and its run_delay does not
# grow, so an event loop that waited for the slow disk still shows its full wait (and then the
# fast request, not even read, has no worker to wait for). Without schedstat (a kernel
# without CONFIG_SCHED_INFO) nothing is subtracted. The samples over 20 ms are listed with their
# wall-clock times, for the test to take out the JVM's GC pauses (SlowDiskInteropTest).
import json
import os
import sys
import time

import nbd

slow = nbd.NBD()
slow.connect_uri(sys.argv[1])
fast = nbd.NBD()
fast.connect_uri(sys.argv[2])
server = int(sys.argv[3])


def run_delay(path):
    try:
        with open(path) as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def server_threads():
    # Netty names the event loops multiThreadIoEventLoopGroup-N-M, the server its workers
    # blockhaus-nbd-worker-N (the kernel keeps 15 characters).
    paths = []
    for tid in os.listdir('/proc/%d/task' % server):
        try:
            with open('/proc/%d/task/%s/comm' % (server, tid)) as f:
                if f.read().startswith(('multiThreadIoEv', 'blockhaus-nbd-w')):
                    paths.append('/proc/%d/task/%s/schedstat' % (server, tid))
        except OSError:
            pass
    return paths


def starved():
    """Nanoseconds this client and the server's NBD threads have waited for a CPU so far."""
    return run_delay('/proc/thread-self/schedstat') + sum(run_delay(p) for p in loops)


payload = bytes(range(256)) * 16
# Untimed: the first requests load and compile the server's paths, the fast export's and the slow
# one's, which run on the same event loop: the first READs of a file export load classes there,
# which the timed phase would otherwise count against the fast export; the FLUSH runs the fast
# export's writeback once (its first run links lambdas). The slow export is warmed on other
# offsets than the timed reads, so those still find nothing cached and wait for the disk.
warm = {slow.aio_pread(nbd.Buffer(64 * 1024), 4 << 20), slow.aio_pread(nbd.Buffer(4096), 5 << 20)}
for i in range(50):
    fast.pwrite(payload, i * 4096)
    fast.pread(4096, i * 4096)
fast.flush()
while warm:
    slow.poll(-1)
    warm = {c for c in warm if not slow.aio_command_completed(c)}
loops = server_threads()

big = nbd.Buffer(64 * 1024)
small = nbd.Buffer(4096)
t0 = time.monotonic()
pending = {slow.aio_pread(big, 0), slow.aio_pread(small, 1 << 20)}  # sent at once: the connection is idle

worst_raw = 0.0
worst = 0.0
worst_at = -1
worst_starved = 0.0
slowest = []  # (less CPU waits in ms, wall-clock start and end in ms) of samples over 20 ms
count = 0
slow_done = None
while slow_done is None or count < 20:
    off = (count * 4096) % (8 << 20)
    waited = starved()
    wall = time.time()
    start = time.monotonic()
    if count % 2 == 0:
        fast.pwrite(payload, off)
    else:
        if fast.pread(4096, off - 4096) != payload:
            raise SystemExit("fast export read back the wrong bytes")
    raw = time.monotonic() - start
    waited = (starved() - waited) / 1e9
    worst_raw = max(worst_raw, raw)
    if raw - waited > 0.020:
        slowest.append([(raw - waited) * 1000.0, wall * 1000.0, (wall + raw) * 1000.0])
    if raw - waited > worst:
        worst, worst_at, worst_starved = raw - waited, count, waited
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
    "fast_worst_raw_ms": worst_raw * 1000.0,
    "fast_worst_ms": worst * 1000.0,
    "fast_worst_at": worst_at,
    "fast_worst_cpu_wait_ms": worst_starved * 1000.0,
    "server_threads": len(loops),
    "slowest": sorted(slowest, reverse=True)[:50],
    "slow_zeroes": not any(big.to_bytearray()) and not any(small.to_bytearray()),
}))
