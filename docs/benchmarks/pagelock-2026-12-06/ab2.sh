#!/bin/bash
# Two more alternated pairs of the full-budget set (rounds 3 and 4).
J=/work/wt-pagelock/deploy/bin/jdk25
BASE=/tmp/bh-jmh-s13-base.jar
NEW=/tmp/s13-pagelock-jmh.jar
OUT=/tmp/s13-pagelock
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) >> $OUT/load.txt &
LOADPID=$!
for round in 3 4; do
  for side in new base; do
    jar=$BASE; [ $side = new ] && jar=$NEW
    echo "$(date -u +%H:%M:%S) start full $side r$round $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
    $J java -jar $jar 'CacheMissBenchmark.missUnderFullBudget|CacheMissCeilingBenchmark' -p variant=flat -f 1 -wi 3 -i 5 -prof gc -rf json -rff $OUT/full-$side-r$round.json > $OUT/full-$side-r$round.txt 2>&1
  done
done
echo "$(date -u +%H:%M:%S) done2 $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
kill $LOADPID
