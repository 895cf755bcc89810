#!/usr/bin/env bash
# metrics-cost.sh — what metrics cost the cached 4 KiB random read over NBD (issue 14).
#
#   deploy/bench/metrics-cost.sh [--rounds N] [--seconds S] [--jar JAR]
#
# Serves one 256 MiB file of random data from a Blockhaus whose cache holds all of it, once with
# metrics on (--metrics-listen on a loopback port, the default) and once with --metrics-listen off,
# alternating (on, off, off, on, on, off, ...) for --rounds pairs (default 5). Each run: start the
# server, read the whole file once (nbdcopy to null: every page cached), one untimed fio pass
# (JIT warm-up), then fio's nbd engine for --seconds (default 10): 4 KiB random reads, iodepth 32,
# 2 jobs. Per run it prints IOPS and the server's CPU time per read (utime + stime of the server
# process over the timed pass, from /proc/PID/stat, divided by the reads): on a shared machine the
# CPU per read says more than IOPS, since it does not count time spent waiting for a core. Ends
# with the medians and the on ÷ off ratios. Needs fio, nbdcopy, nbdinfo and the jar
# (deploy/bin/jdk25 mvn -B -q -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=5 seconds=10 jar=server/target/blockhaus-server.jar
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --jar) jar=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -f "$jar" ] || { echo "$jar missing" >&2; exit 2; }
for t in fio nbdcopy nbdinfo python3; do command -v "$t" >/dev/null || { echo "needs $t" >&2; exit 2; }; done
work=$(mktemp -d /tmp/metrics-cost.XXXXXX)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
head -c $((256 << 20)) /dev/urandom >"$work/disk.img"
tick=$(getconf CLK_TCK)

run() {   # run on|off -> prints "MODE IOPS CPU_US_PER_READ"
    local mode=$1 metrics=(--metrics-listen 127.0.0.1:21992)
    [ "$mode" = on ] || metrics=(--metrics-listen off)
    rm -rf "$work/data"
    deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED -jar "$jar" serve --data-dir "$work/data" \
        --nbd-listen 127.0.0.1:21990 --grpc-listen 127.0.0.1:21991 "${metrics[@]}" --cache-size 512M \
        --export "name=bench,path=$work/disk.img" >"$work/server-$mode.log" 2>&1 &
    pid=$!
    local i
    for i in $(seq 1 100); do nbdinfo --size nbd://127.0.0.1:21990/bench >/dev/null 2>&1 && break; sleep 0.2; done
    nbdcopy --request-size=131072 nbd://127.0.0.1:21990/bench null:
    local fio_args=(--name=r --ioengine=nbd --uri=nbd://127.0.0.1:21990/bench --rw=randread --bs=4k
                    --iodepth=32 --numjobs=2 --group_reporting --time_based --size=256M)
    fio "${fio_args[@]}" --runtime=5 --output-format=terse >/dev/null
    local before after
    before=$(awk '{print $14 + $15}' /proc/$pid/stat)
    fio "${fio_args[@]}" --runtime="$seconds" --output-format=json --output="$work/fio.json" >/dev/null
    after=$(awk '{print $14 + $15}' /proc/$pid/stat)
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 - "$work/fio.json" "$mode" "$((after - before))" "$tick" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1])); r = j["jobs"][0]["read"]
ios, iops = r["total_ios"], r["iops"]
print(f"{sys.argv[2]} {iops:.0f} {int(sys.argv[3]) / int(sys.argv[4]) * 1e6 / ios:.2f}")
EOF
}

results=()
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
    for m in $order; do
        line=$(run "$m")
        echo "round $r: $line (load $(cut -d' ' -f1 /proc/loadavg))"
        results+=("$line")
    done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics as st
rows = [l.split() for l in sys.stdin if l.strip()]
med = {m: (st.median(float(r[1]) for r in rows if r[0] == m), st.median(float(r[2]) for r in rows if r[0] == m)) for m in ("on", "off")}
for m in ("on", "off"):
    print(f"median {m}: {med[m][0]:.0f} IOPS, {med[m][1]:.2f} server CPU us/read")
on, off = med["on"], med["off"]
print(f"on / off: IOPS {on[0] / off[0]:.3f}, server CPU per read {on[1] / off[1]:.3f}")
'
