#!/bin/bash
# A server with a full 1 GiB cache (a 1.5 GiB file read at random, 4 KiB, 2 x 400k reads), then jcmd GC.class_histogram.
# usage: histo.sh JAR OUT PORT
set -u
JAR=$1 OUT=$2 PORT=$3
FILE=/tmp/s12-index-bench/data.img
D=$(mktemp -d)
timeout 400 /work/wt-index/deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx3g \
    -jar "$JAR" serve --data-dir "$D" --nbd-listen 127.0.0.1:"$PORT" --grpc-listen 127.0.0.1:0 \
    --cache-size 1024M --export name=bench,path="$FILE" > "$D/log" 2>&1 &
for _ in $(seq 150); do nbdinfo --size "nbd://127.0.0.1:$PORT/bench" > /dev/null 2>&1 && break; sleep 0.2; done
PID=$(pgrep -f "nbd-listen 127.0.0.1:$PORT" | while read -r p; do [ "$(cat /proc/"$p"/comm)" = java ] && echo "$p"; done | head -1)
echo "java pid $PID"
U="--ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench"
fio --name=fill $U --rw=randread --bs=4k --iodepth=32 --numjobs=2 --number_ios=400000 --group_reporting | grep -E "IOPS|read:" | head -2
/work/wt-index/deploy/bin/jdk25 jcmd "$PID" GC.class_histogram > "$OUT" 2>&1
curl -s "http://127.0.0.1:$((PORT+2))/metrics" > /dev/null 2>&1 || true
head -25 "$OUT"
tail -1 "$OUT"
kill "$PID"
sleep 1
rm -rf "$D"
