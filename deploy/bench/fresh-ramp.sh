#!/bin/bash
# fresh-ramp.sh — IOPS second by second of a freshly started Blockhaus (4 KiB random reads).
#
#   deploy/bench/fresh-ramp.sh [--port P] [--args "SERVE ARGS"] [JAR] [JVM flags...]
#
# Starts the server (JAR, default server/target/blockhaus-server.jar; --cache-size 256M) over a
# 1 GiB file of random data that the kernel caches (made once as /tmp/blockhaus-ramp.img, then
# read through so it is in the page cache), and as soon as it answers runs fio's nbd engine for
# 12 s (randread, 4 KiB, iodepth 32, 2 jobs, as nbd-fio.sh's randread-4k) with a 1-second IOPS
# log. Prints the IOPS of each second: where a fresh JVM's warm-up ends shows as the point the
# figures stop climbing. Loopback ports 21950-21952, or P to P+2 with --port (before --cpu), so runs
# beside each other do not collide. --args: extra `serve` options (word-split), e.g. "--warmup 2s". Extra JVM flags (e.g.
# -XX:TieredStopAtLevel=1) go before -jar. Alternate two jars or flag sets, run after run, to
# compare them on a shared machine.
#
#   deploy/bench/fresh-ramp.sh [--port P] [--args "SERVE ARGS"] --cpu N [JAR] [JVM flags...]
#
# The server's CPU instead: fio runs for N I/Os per job (same workload), and the script prints
# the wall time and the server's CPU ticks (1/100 s, from /proc/PID/task/*/stat) over the run, by
# thread: jit (C1/C2 compiler threads), loop (Netty event loops), gc, the workers, the rest by
# name. On a machine shared with other work the IOPS of a fresh server move by 2x from run to
# run; its CPU per request moves much less: alternate two builds and compare medians of these.
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
IOS=
PORT=21950
SERVE_ARGS=
if [ "${1:-}" = --port ]; then
    PORT=$2
    shift 2
fi
if [ "${1:-}" = --args ]; then
    SERVE_ARGS=$2
    shift 2
fi
if [ "${1:-}" = --cpu ]; then
    IOS=$2
    shift 2
fi
JAR=${1:-$ROOT/server/target/blockhaus-server.jar}
[ $# -eq 0 ] || shift
F=/tmp/blockhaus-ramp.img
[ -f "$F" ] || dd if=/dev/urandom of="$F" bs=1M count=1024 status=none
cat "$F" >/dev/null
D=$(mktemp -d)
trap 'kill "$P" 2>/dev/null || true; rm -rf "$D"' EXIT
"$ROOT/deploy/bin/jdk25" java "$@" --enable-native-access=ALL-UNNAMED -jar "$JAR" serve --data-dir "$D/data" \
    --nbd-listen 127.0.0.1:$PORT --grpc-listen 127.0.0.1:$((PORT + 1)) --metrics-listen 127.0.0.1:$((PORT + 2)) \
    --cache-size 256M --export "name=bench,path=$F" $SERVE_ARGS >"$D/log" 2>&1 &
P=$!
for _ in $(seq 1 300); do
    timeout 5 nbdinfo --size nbd://127.0.0.1:$PORT/bench >/dev/null 2>&1 && break
    sleep 0.2
done
if [ -n "$IOS" ]; then
    # The JVM is P itself when jdk25 execs java; else its child.
    J=$(pgrep -P "$P" java || echo "$P")
    snap() {
        for t in /proc/"$J"/task/*; do
            # a thread may end between the listing and the read (its ticks are then lost: a few)
            st=$(sed 's/.*) //' "$t/stat" 2>/dev/null) && c=$(cat "$t/comm" 2>/dev/null) || continue
            s=($st)
            echo "$c|$((s[11] + s[12]))"
        done
    }
    snap >"$D/before"
    t0=$(date +%s.%N)
    timeout 300 fio --name=r --ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench --size=1G --rw=randread --bs=4k \
        --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 --number_ios="$IOS" --group_reporting \
        --output-format=terse >/dev/null 2>&1
    t1=$(date +%s.%N)
    snap >"$D/after"
    python3 - "$D/before" "$D/after" "$t0" "$t1" <<'PY'
import collections, sys
def read(p):
    d = collections.Counter()
    for line in open(p):
        name, ticks = line.rstrip("\n").rsplit("|", 1)
        d[name] += int(ticks)
    return d
a, b = read(sys.argv[1]), read(sys.argv[2])
groups = collections.Counter()
for name in b:
    k = ("jit" if "Compiler" in name else "loop" if name.startswith("multiThreadIo")
         else "gc" if name.startswith(("GC", "G1")) else name.rstrip("0123456789-"))
    groups[k] += b[name] - a.get(name, 0)
print(f"wall {float(sys.argv[4]) - float(sys.argv[3]):.2f}s cpu {sum(groups.values())} "
      + " ".join(f"{k}={v}" for k, v in groups.most_common(5)))
PY
    exit 0
fi
timeout 60 fio --name=r --ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench --size=1G --rw=randread --bs=4k \
    --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 --time_based --runtime=12 --group_reporting \
    --write_iops_log="$D/iops" --log_avg_msec=1000 --output-format=json --output="$D/out.json" >/dev/null 2>&1
python3 - "$D" <<'PY'
import collections, glob, sys
per_second = collections.defaultdict(int)
for f in glob.glob(sys.argv[1] + "/iops_iops.*.log"):
    for line in open(f):
        t, v = line.split(",")[:2]
        per_second[round(int(t) / 1000)] += int(v)
print(" ".join(f"{per_second[k] / 1000:.0f}k" for k in sorted(per_second)))
PY
