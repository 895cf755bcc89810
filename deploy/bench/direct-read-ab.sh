#!/usr/bin/env bash
# direct-read-ab.sh — quick A/B of READs on an io=direct export: Blockhaus builds (jars) side by side.
#
#   deploy/bench/direct-read-ab.sh [--bs SIZE] [--rw read|randread] [--rounds N] FILE JAR [JAR...]
#
# For each round, each JAR in turn serves FILE (which it must be allowed to write: it is opened
# read-write) as export "bench" with io=direct on 127.0.0.1; fio's nbd engine runs --rw at --bs
# (default 1m, read), iodepth 8, one job: one untimed 4 s pass, then three timed 6 s runs. Prints
# one line per fio run ("LABEL BS RW MB/s IOPS", LABEL the jar's file name) and, at the end,
# the median MB/s per label. Read FILE once beforehand (cat FILE >/dev/null) so that no build
# meets a cold kernel page cache. Needs fio, nbdinfo, python3 and deploy/bin/jdk25.
set -euo pipefail

cd "$(dirname "$0")/../.."
bs=1m rw=read rounds=3 jars=()
while [ $# -gt 0 ]; do
    case "$1" in
        --bs) bs=$2; shift 2 ;;
        --rw) rw=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) jars+=("$1"); shift ;;
    esac
done
[ ${#jars[@]} -ge 2 ] || { echo "usage: $0 [options] FILE JAR [JAR...]" >&2; exit 2; }
file=${jars[0]}; jars=("${jars[@]:1}")
[ -f "$file" ] || { echo "$file: no such file" >&2; exit 2; }
case "$rw" in read|randread) ;; *) echo "--rw is read or randread" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/direct-read-ab.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

run_fio() {
    timeout 60 fio --name=ab --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" --iodepth=8 --time_based "$@"
}

port=$((24000 + RANDOM % 1000))
uri="nbd://127.0.0.1:$port/bench"
: >"$work/lines"
for round in $(seq 1 "$rounds"); do
    for jar in "${jars[@]}"; do
        label=$(basename "$jar" .jar)
        timeout 300 deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED -jar "$jar" serve \
            --data-dir "$work/data" --nbd-listen "127.0.0.1:$port" --grpc-listen "127.0.0.1:$((port + 1))" \
            --metrics-listen "127.0.0.1:$((port + 2))" --export "name=bench,path=$file,io=direct" \
            >"$work/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            timeout 5 nbdinfo --size "$uri" >/dev/null 2>&1 && break
            sleep 0.2
        done
        run_fio --runtime=4 --output=/dev/null >/dev/null 2>&1
        for _ in 1 2 3; do
            run_fio --runtime=6 --output-format=json --output="$work/run.json" >/dev/null 2>&1
            python3 - "$work/run.json" "$label" "$bs" "$rw" <<'PY' | tee -a "$work/lines"
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])["jobs"][0]["read"]
print(sys.argv[2], sys.argv[3], sys.argv[4], round(d["bw_bytes"] / 1e6), "MB/s", round(d["iops"]), "IOPS")
PY
        done
        kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
done
python3 - "$work/lines" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    f = line.split()
    by.setdefault(f[0], []).append(float(f[3]))
for label, v in by.items():
    print(f"median {label}: {statistics.median(v):.0f} MB/s over {len(v)} runs")
PY
