#!/bin/bash
# fresh-cpu.sh — server CPU a freshly started Blockhaus spends on its first N 4 KiB random reads.
#
#   deploy/bench/fresh-cpu.sh N [JAR] [JVM flags...]
#
# Starts the server as fresh-ramp.sh does (JAR, default server/target/blockhaus-server.jar;
# --cache-size 256M over /tmp/blockhaus-ramp.img, 1 GiB of random data the kernel caches), and as
# soon as it answers runs fio's nbd engine (randread, 4 KiB, iodepth 32, 2 jobs) for N I/Os per
# job. Prints the wall time and the server's CPU ticks (1/100 s, from /proc/PID/task/*/stat) over
# the fio run, by thread: jit (C1/C2 compiler threads), loop (Netty event loops), gc, the
# workers, the rest by name. On a machine shared with other work the IOPS of a 5-second round
# move by 2x from run to run; CPU per request moves much less, so alternate two jars or flag
# sets run by run and compare medians of these. Extra JVM flags (e.g. -XX:AOTCache=FILE) go
# before -jar. Loopback ports 21960-21962.
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
N=$1
shift
JAR=${1:-$ROOT/server/target/blockhaus-server.jar}
[ $# -eq 0 ] || shift
F=/tmp/blockhaus-ramp.img
[ -f "$F" ] || dd if=/dev/urandom of="$F" bs=1M count=1024 status=none
cat "$F" >/dev/null
D=$(mktemp -d)
trap 'kill "$P" 2>/dev/null || true; rm -rf "$D"' EXIT
"$ROOT/deploy/bin/jdk25" java "$@" --enable-native-access=ALL-UNNAMED -jar "$JAR" serve --data-dir "$D/data" \
    --nbd-listen 127.0.0.1:21960 --grpc-listen 127.0.0.1:21961 --metrics-listen 127.0.0.1:21962 \
    --cache-size 256M --export "name=bench,path=$F" >"$D/log" 2>&1 &
P=$!
for _ in $(seq 1 300); do
    timeout 5 nbdinfo --size nbd://127.0.0.1:21960/bench >/dev/null 2>&1 && break
    sleep 0.1
done
# The JVM is P itself when jdk25 execs java; else its child.
J=$(pgrep -P "$P" java || echo "$P")
snap() {
    for t in /proc/"$J"/task/*; do
        s=($(sed 's/.*) //' "$t/stat"))
        echo "$(cat "$t/comm")|$((s[11] + s[12]))"
    done
}
snap >"$D/before"
t0=$(date +%s.%N)
timeout 300 fio --name=r --ioengine=nbd --uri=nbd://127.0.0.1:21960/bench --size=1G --rw=randread --bs=4k \
    --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 --number_ios="$N" --group_reporting \
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
