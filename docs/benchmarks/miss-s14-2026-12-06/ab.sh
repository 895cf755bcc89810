#!/bin/bash
# usage: ab.sh KIND ROUNDS JAR_A TAG_A JAR_B TAG_B   KIND=full|pread; alternates A,B per round (B,A on even rounds)
J=/work/wt-miss/deploy/bin/jdk25
OUT=/tmp/s14-miss/ab
kind=$1; rounds=$2; A=$3; TA=$4; B=$5; TB=$6
for r in $(seq ${FIRST:-1} $((${FIRST:-1} + rounds - 1))); do
  if [ $((r % 2)) = 1 ]; then order="$A:$TA $B:$TB"; else order="$B:$TB $A:$TA"; fi
  for pair in $order; do
    jar=${pair%%:*}; tag=${pair##*:}
    if [ $kind = full ]; then
      args=('CacheMissBenchmark.missUnderFullBudget|CacheMissCeilingBenchmark' -p variant=flat -f 1 -wi 3 -i 5 -prof gc)
    else
      args=('CacheMissBenchmark.(missOverKernelCachedFile|plainPread|hitOverFile)' -f 1 -wi 3 -i 5)
    fi
    f=$OUT/$kind-$tag-r$r
    while true; do
      l1="$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"
      $J java -jar $jar "${args[@]}" -rf json -rff $f.json > $f.txt 2>&1
      grep -q 'Unable to acquire the JMH lock' $f.txt || break
      sleep 3
    done
    echo "$kind $tag r$r start $l1 end $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/order.txt
  done
done
