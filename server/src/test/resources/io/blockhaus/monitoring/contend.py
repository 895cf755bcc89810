#!/usr/bin/python3
# Load for LivePrometheusTest (python3-libnbd): makes one volume's pagecache lock contend.
#   contend.py CONTENDED_URI FAILING_URI STOP_FILE MAX_SECONDS SEED
# Buffered reads and writes of 4 KiB take the lock in ADD mode on a cache miss; trims punch holes
# (BLOCK mode) in the same 8 MiB and drop those pages, so the readers keep missing and the two
# modes keep meeting. A sequential reader feeds readahead. Once, a write and flush on the failing
# volume (whose store refuses its first write) makes writeback fail. Runs until STOP_FILE exists
# or MAX_SECONDS pass; prints one JSON line with the operation counts.
import json
import os
import random
import sys
import threading
import time

import nbd

contended_uri, failing_uri, stop_file, max_seconds, seed = sys.argv[1:6]
deadline = time.monotonic() + float(max_seconds)
rng_seed = int(seed)
REGION = 8 << 20
PAGE = 4096
counts = {"read": 0, "write": 0, "trim": 0, "seq_read": 0, "flush": 0, "errors": 0, "failing_flush": "not run"}
lock = threading.Lock()
crashes = []


def running():
    return time.monotonic() < deadline and not os.path.exists(stop_file)


def count(key):
    with lock:
        counts[key] += 1


def connect(uri):
    h = nbd.NBD()
    h.connect_uri(uri)
    return h


def worker(kind, index):
    rng = random.Random(rng_seed * 100 + index)
    h = connect(contended_uri)
    pos = REGION
    try:
        while running():
            try:
                if kind == "read":
                    h.pread(PAGE, rng.randrange(REGION // PAGE) * PAGE)
                elif kind == "write":
                    h.pwrite(bytes([index]) * PAGE, rng.randrange(REGION // PAGE) * PAGE)
                    if rng.randrange(64) == 0:
                        h.flush()
                        count("flush")
                elif kind == "trim":
                    h.trim(256 << 10, rng.randrange(REGION // (256 << 10)) * (256 << 10))
                else:
                    h.pread(64 << 10, pos)
                    pos = REGION if pos + (64 << 10) >= 2 * REGION else pos + (64 << 10)
                count(kind)
            except nbd.Error:
                count("errors")
    except BaseException as e:  # a worker that dies must fail the run, not vanish
        crashes.append("%s %d: %r" % (kind, index, e))
        raise
    finally:
        h.shutdown()


def fail_writeback():
    h = connect(failing_uri)
    try:
        h.pwrite(b"\x5a" * PAGE, 0)
        try:
            h.flush()
            counts["failing_flush"] = "ok"
        except nbd.Error as e:
            counts["failing_flush"] = "failed: %s" % e
    finally:
        h.shutdown()


fail_writeback()
threads = [threading.Thread(target=worker, args=(kind, i))
           for i, kind in enumerate(["read", "read", "read", "write", "write", "trim", "trim", "seq_read"])]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(counts))
if crashes:
    sys.exit("workers crashed: %s" % crashes)
