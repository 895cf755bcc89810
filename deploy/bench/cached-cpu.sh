#!/usr/bin/env bash
# cached-cpu.sh — a Blockhaus server's CPU per cached 4 KiB random read, for A/Bs of builds that
# are steadier than IOPS on this noisy machine (the cached row of nbd-fio.sh, measured from inside).
#
#   deploy/bench/cached-cpu.sh JAR FILE [PORT]
#
# Serves FILE (export "bench", 1500 MiB cache: a 1 GiB FILE fits whole; metrics on, as in
# nbd-fio.sh) from JAR on 127.0.0.1:PORT (default 21991; metrics on PORT+2), reads FILE once in
# 128 KiB requests to fill the cache, runs 6 s of fio 4 KiB random reads (QD 32, 2 jobs) as
# warm-up, then 10 s timed, and prints IOPS, the server's CPU time (user + system, all threads)
# per read in microseconds, and fio's CPU share. Alternate the builds run by run and compare
# medians; wait a second or two between runs so the port is free again. JVMOPTS in the
# environment is passed to the JVM (e.g. a JFR recording). Needs fio (nbd engine), nbdinfo,
# python3 and deploy/bin/jdk25. FILE must be an absolute path.
set -eu
JAR=$1 FILE=$2 PORT=${3:-21991}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d)
PID=
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$D"' EXIT
# shellcheck disable=SC2086 # JVMOPTS is a list of flags
timeout 300 "$ROOT/deploy/bin/jdk25" java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ${JVMOPTS:-} \
    -jar "$JAR" serve --data-dir "$D" --nbd-listen 127.0.0.1:"$PORT" --grpc-listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:$((PORT + 2)) --cache-size 1500M --export name=bench,path="$FILE" > "$D/log" 2>&1 &
for _ in $(seq 150); do nbdinfo --size "nbd://127.0.0.1:$PORT/bench" > /dev/null 2>&1 && break; sleep 0.2; done
# The java child, not its `timeout` wrapper.
PID=$(pgrep -f "nbd-listen 127.0.0.1:$PORT" | while read -r p; do [ "$(cat /proc/"$p"/comm)" = java ] && echo "$p"; done | head -1)
U="--ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench"
fio --name=fill $U --rw=read --bs=128k --iodepth=8 > /dev/null
fio --name=warm $U --rw=randread --bs=4k --iodepth=32 --numjobs=2 --time_based --runtime=6 > /dev/null
cpu() { sed 's/.*) //' /proc/"$PID"/stat | awk '{print $12+$13}'; }   # utime + stime, in ticks
a=$(cpu)
OUT=$(fio --name=timed $U --rw=randread --bs=4k --iodepth=32 --numjobs=2 --group_reporting --time_based --runtime=10 --output-format=json)
b=$(cpu)
echo "$OUT" | python3 -c '
import json, sys
t = sys.stdin.read(); j = json.loads(t[t.index("{"):])["jobs"][0]
n = j["read"]["total_ios"]; ticks = int(sys.argv[1])
print("IOPS", round(j["read"]["iops"]), " server CPU us/read", round(ticks * 10000 / n, 3),
      " fio CPU %", round(j["usr_cpu"] + j["sys_cpu"]))' $((b - a))
