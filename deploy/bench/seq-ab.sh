#!/usr/bin/env bash
# seq-ab.sh — quick A/B of 1 MiB sequential I/O: Blockhaus builds (jars) against nbdkit-file.
#
#   deploy/bench/seq-ab.sh [--rw write|read] [--rounds N] [--runtime S] [--after-random]
#                          [--file FILE] [--base-port P] JAR[::SERVE-ARGS] [JAR[::SERVE-ARGS]...]
#
# For each round, each JAR in turn and then nbdkit (file plugin) serve the same 1 GiB file on
# 127.0.0.1 (export "bench"); fio's nbd engine runs --rw at 1 MiB, iodepth 8, one job, three
# times for --runtime seconds after a 2 s ramp (Blockhaus gets one untimed 4 s pass first, for
# the JIT). With --after-random, every server first gets 5 s of 4 KiB random reads and 5 s of
# 4 KiB random writes (iodepth 32, two jobs), as in nbd-fio.sh, so the 1 MiB runs meet a cache
# and a file that random I/O has been through. Prints one line per fio run
# ("LABEL GB/s", LABEL the jar's file name or nbdkit) and, at the end, the median per label.
# A JAR may carry extra `serve` options after "::" (e.g. server.jar::--nbd-splice-writes=false),
# to compare settings of one build; they are part of its label. Servers listen from --base-port
# on (10 ports a server; default a random one in 23000-24999), so concurrent runs can be kept apart.
#
# This is for comparing code changes in minutes; deploy/bench/nbd-fio.sh is the benchmark.
# Needs fio, nbdkit, nbdinfo, python3 and deploy/bin/jdk25. Everything listens on loopback only,
# every server and fio run is bounded by `timeout`, and the file (when not given) is removed.
set -euo pipefail

cd "$(dirname "$0")/../.."
rw=write rounds=3 runtime=6 after_random=0 file="" base_port="" jars=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rw) rw=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --runtime) runtime=$2; shift 2 ;;
        --after-random) after_random=1; shift ;;
        --file) file=$2; shift 2 ;;
        --base-port) base_port=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) jars+=("$1"); shift ;;
    esac
done
[ ${#jars[@]} -gt 0 ] || { echo "usage: $0 [options] JAR [JAR...]" >&2; exit 2; }
case "$rw" in write|read) ;; *) echo "--rw is write or read" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/seq-ab.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ -z "$file" ]; then
    file=$work/bench.img
    dd if=/dev/urandom of="$file" bs=1M count=1024 status=none
fi
results=$work/results.txt
: >"$results"
limit=$(( (runtime + 3) * 3 + 60 ))

fio_run() { # URI, then fio options
    local uri=$1; shift
    timeout -k 5 $((runtime + 30)) fio --name=ab --ioengine=nbd --uri="$uri" "$@" 2>/dev/null | { grep -v '^fio:' || true; }
}

serve() { # LABEL PORT: starts the server, leaves its pid in $pid
    local label=$1 port=$2
    if [ "$label" = nbdkit ]; then
        timeout -k 10 "$limit" nbdkit -f --exit-with-parent -i 127.0.0.1 -p "$port" file file="$file" &
    else
        local jar=${label%%::*} extra=()
        [ "$jar" = "$label" ] || read -r -a extra <<<"${label#*::}"
        timeout -k 10 "$limit" deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED -jar "$jar" serve "${extra[@]}" \
            --data-dir "$work/data" --nbd-listen 127.0.0.1:"$port" --grpc-listen 127.0.0.1:$((port + 1)) \
            --metrics-listen 127.0.0.1:$((port + 2)) --export name=bench,path="$file" >"$work/server.log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 100); do
        nbdinfo --size "nbd://127.0.0.1:$port/bench" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server $label did not come up" >&2
    exit 1
}

measure() { # LABEL PORT
    local label=$1 port=$2 uri="nbd://127.0.0.1:$2/bench" name
    name=$(basename "${label%%::*}")$( [ "${label#*::}" = "$label" ] || echo "::${label#*::}" | tr ' ' '_')
    serve "$label" "$port"
    if [ $after_random = 1 ]; then
        for w in randread randwrite; do
            fio_run "$uri" --rw=$w --bs=4k --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 \
                --time_based --runtime=5 --output=/dev/null >/dev/null
        done
    fi
    [ "$label" = nbdkit ] || fio_run "$uri" --rw="$rw" --bs=1M --iodepth=8 --time_based --runtime=4 \
        --output=/dev/null >/dev/null
    for _ in 1 2 3; do
        fio_run "$uri" --rw="$rw" --bs=1M --iodepth=8 --time_based --ramp_time=2 --runtime="$runtime" \
            --output-format=json | python3 -c "
import json, sys
j = json.load(sys.stdin)['jobs'][0]
print('$name', round((j['read']['bw_bytes'] + j['write']['bw_bytes']) / 1e9, 2))" | tee -a "$results"
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
}

port=${base_port:-$((23000 + RANDOM % 2000))}
for r in $(seq "$rounds"); do
    for j in "${jars[@]}" nbdkit; do
        measure "$j" "$port"
        port=$((port + 10))
    done
done
echo "median GB/s ($rw, 1 MiB, iodepth 8$( [ $after_random = 1 ] && echo ', after random I/O')):"
python3 - "$results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, gbs = line.split()
    runs.setdefault(label, []).append(float(gbs))
for label, v in runs.items():
    print(f"  {label}: {statistics.median(v):.2f}  (runs: {' '.join(f'{x:.2f}' for x in v)})")
EOF
