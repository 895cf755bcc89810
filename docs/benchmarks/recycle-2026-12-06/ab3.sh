#!/bin/bash
# A/B of the JMH miss benchmarks, alternating base and new, with the load average sampled every 10 s.
J=/work/wt-index/deploy/bin/jdk25
BASE=/tmp/bh-jmh-s12-base.jar
NEW=${NEW:-/tmp/s12-index-jmh-1.jar}
OUT=/tmp/s12-index-bench
TAG=${TAG:-1}
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) > $OUT/load-$TAG.txt &
LOADPID=$!
for round in 1 2 3; do
  for side in base new; do
    jar=$BASE; [ $side = new ] && jar=$NEW
    echo "$(date -u +%H:%M:%S) start set1 $side r$round" >> $OUT/order-$TAG.txt
    $J java -jar $jar 'CacheMissBenchmark.missUnderFullBudget|CacheMissCeilingBenchmark.(engineMiss|miss)' -p variant=flat -f 1 -wi 3 -i 5 -prof gc > $OUT/set1-$side-r$round-$TAG.txt 2>&1
  done
done
for round in 1 2 3; do
  for side in base new; do
    jar=$BASE; [ $side = new ] && jar=$NEW
    echo "$(date -u +%H:%M:%S) start set2 $side r$round" >> $OUT/order-$TAG.txt
    $J java -jar $jar 'CacheMissBenchmark.(missOverKernelCachedFile|plainPread)|BufferedReadBenchmark.cachedRead' -f 1 -wi 3 -i 5 > $OUT/set2-$side-r$round-$TAG.txt 2>&1
  done
done
echo "$(date -u +%H:%M:%S) done" >> $OUT/order-$TAG.txt
kill $LOADPID
