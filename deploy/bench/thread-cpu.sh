#!/usr/bin/env bash
# thread-cpu.sh — where a Blockhaus server's CPU goes, thread by thread, during a 1 MiB
# sequential read (fio's nbd engine, QD 8, one job: the "1 MiB sequential read" row).
#
#   deploy/bench/thread-cpu.sh JAR FILE [SECONDS]
#
# Serves FILE (export "bench", 256 MiB cache) from JAR on 127.0.0.1:21990, runs an untimed 6 s
# read as warm-up, then SECONDS (default 10) timed, and prints fio's MB/s and CPU share and the
# server threads that used CPU during the timed run, in clock ticks (1/100 s; 100 per second =
# one core). A single event-loop thread near 100 per second while fio is well under 100 % says
# the row is bound by the connection's one sending thread, not by the client.
# Needs fio (with the nbd engine), nbdinfo, python3 and deploy/bin/jdk25.
set -eu
JAR=$1 FILE=$2 SECONDS_TIMED=${3:-10} PORT=21990
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$D"' EXIT
PID=
timeout 300 "$ROOT/deploy/bin/jdk25" java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    -jar "$JAR" serve --data-dir "$D" --nbd-listen 127.0.0.1:$PORT --grpc-listen 127.0.0.1:0 --metrics-listen off \
    --cache-size 256M --export name=bench,path="$FILE" > "$D/log" 2>&1 &
for _ in $(seq 150); do nbdinfo --size nbd://127.0.0.1:$PORT/bench > /dev/null 2>&1 && break; sleep 0.2; done
# The java child, not its `timeout` wrapper.
PID=$(pgrep -f "nbd-listen 127.0.0.1:$PORT" | while read -r p; do [ "$(cat /proc/$p/comm)" = java ] && echo "$p"; done | head -1)
FIO="fio --name=s --ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench --rw=read --bs=1M --iodepth=8 --numjobs=1 --time_based"
$FIO --runtime=6 > /dev/null
# utime + stime per thread; the name in /proc/TID/stat may hold spaces, so cut after ") ".
snap() { for t in /proc/$PID/task/*; do echo "$(basename "$t")_$(tr ' ' _ < "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12+$13}')"; done | sort; }
snap > "$D/a"
OUT=$($FIO --runtime="$SECONDS_TIMED" --output-format=json)
snap > "$D/b"
echo "$OUT" | python3 -c 'import json,sys; t=sys.stdin.read(); j=json.loads(t[t.index("{"):])["jobs"][0]; print("fio: MB/s", round(j["read"]["bw_bytes"]/1e6), " CPU usr+sys %", round(j["usr_cpu"]+j["sys_cpu"]))'
echo "server threads, ticks over $SECONDS_TIMED s:"
join "$D/a" "$D/b" | awk '{d=$3-$2; if (d>0) print "  " $1, d}' | sort -k2 -nr | head -8
