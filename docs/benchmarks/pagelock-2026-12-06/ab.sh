#!/bin/bash
# A/B of base and pagelock, alternating, with the load average sampled every 10 s.
J=/work/wt-pagelock/deploy/bin/jdk25
BASE=/tmp/bh-jmh-s13-base.jar
NEW=/tmp/s13-pagelock-jmh.jar
OUT=/tmp/s13-pagelock
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) > $OUT/load.txt &
LOADPID=$!
for round in 1 2; do
  for side in base new; do
    jar=$BASE; [ $side = new ] && jar=$NEW
    echo "$(date -u +%H:%M:%S) start full $side r$round $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
    $J java -jar $jar 'CacheMissBenchmark.missUnderFullBudget|CacheMissCeilingBenchmark' -p variant=flat -f 1 -wi 3 -i 5 -prof gc -rf json -rff $OUT/full-$side-r$round.json > $OUT/full-$side-r$round.txt 2>&1
  done
done
for round in 1 2; do
  for side in base new; do
    jar=$BASE; [ $side = new ] && jar=$NEW
    echo "$(date -u +%H:%M:%S) start pread $side r$round $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
    $J java -jar $jar 'CacheMissBenchmark.(missOverKernelCachedFile|plainPread|hitOverFile)' -f 1 -wi 3 -i 5 -rf json -rff $OUT/pread-$side-r$round.json > $OUT/pread-$side-r$round.txt 2>&1
  done
done
for side in base new; do
  jar=/tmp/bh-s13-base.jar; [ $side = new ] && jar=/tmp/s13-pagelock-server.jar
  echo "$(date -u +%H:%M:%S) start cached-cpu $side $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
  /work/wt-pagelock/deploy/bench/cached-cpu.sh $jar /tmp/s13-pagelock/bench.img 24711 > $OUT/cached-$side.txt 2>&1
  sleep 2
done
echo "$(date -u +%H:%M:%S) done $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
kill $LOADPID
