#!/bin/bash
J=/work/wt-index/deploy/bin/jdk25
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) > /tmp/s12-index-bench/load-3.txt &
L=$!
for r in 1 2 3; do for side in base new; do
  jar=/tmp/bh-jmh-s12-base.jar; [ $side = new ] && jar=/tmp/s12-index-jmh-2.jar
  echo "$(date -u +%H:%M:%S) $side r$r" >> /tmp/s12-index-bench/order-3.txt
  $J java -jar $jar 'CacheMissBenchmark.hitOverFile' -f 1 -wi 3 -i 5 > /tmp/s12-index-bench/hit-$side-r$r.txt 2>&1
done; done
kill $L
