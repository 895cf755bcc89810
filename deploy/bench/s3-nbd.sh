#!/usr/bin/env bash
# s3-nbd.sh — what keeping a volume in an S3 object store costs, beside the sparse-file store (issue 16).
#
#   deploy/bench/s3-nbd.sh [--rounds N] [--runtime S] [--ramp S] [--warmup S] [--size SIZE]
#                          [--object-size SIZE] [--cache SIZE] [--hot SIZE] [--put-parallel N] [--rget-parallel N]
#                          [--endpoint URL --bucket B] [--ceph-mem SIZE] [--exports "file s3"]
#                          [--workloads "LIST"] [--bh-args "ARGS"] [--out DIR] [--work-dir DIR]
#                          [--base-port P] [--keep]
#
# What it does, in one run
#   1. The object store: with --endpoint (and --bucket; credentials in AWS_ACCESS_KEY_ID /
#      AWS_SECRET_ACCESS_KEY), that one; otherwise a micro-Ceph (deploy/ceph/micro-ceph.sh: mon +
#      memstore OSD + RADOS Gateway on loopback, no mgr) started in the work directory, stopped at
#      the end. The bucket is created if it does not exist (a SigV4-signed curl PUT).
#   2. ONE Blockhaus (server/target/blockhaus-server.jar, --cache-size --cache) serving two exports of
#      --size each: "file" (a sparse file in the work directory: the file store) and "s3"
#      (store=s3,bucket=B,prefix=s3-nbd-<time>/,object-size=--object-size, with --s3-endpoint,
#      --s3-region us-east-1, --s3-path-style). One server for the whole run: restarting it would
#      mean a takeover of the s3 volume (lease) between rounds.
#   3. Fills both exports once (1 MiB sequential writes, untimed, then an NBD flush), so reads
#      hit data, never holes; one untimed warm-up pass (--warmup seconds) of every workload.
#   4. --rounds rounds (default 3); in each, every workload runs on both exports, alternating which
#      export goes first (file, s3 in odd rounds; s3, file in even ones), and the endpoint's own
#      throughput is measured once (deploy/bench/S3EndpointBench.java, the SDK and client settings
#      Blockhaus uses: --put-parallel threads PUT --object-size objects for --runtime seconds, then
#      as many GET them back for --runtime seconds, then --rget-parallel threads make 4 KiB ranged
#      GETs at random offsets inside them for --runtime seconds; the objects are deleted afterwards).
#   5. Medians over rounds; ratios s3 ÷ file; results.csv, summary.md (the table, printed), meta.txt.
#
# Workloads (fio's nbd engine, one NBD connection per job, as deploy/bench/nbd-fio.sh)
#   seqwrite-1m        1 MiB sequential write, iodepth 8, 1 job, then an NBD flush (libnbd) whose
#                      time is recorded: "durable MB/s" = bytes written ÷ (runtime + flush time),
#                      what a volume's sequential write costs once the data is in the store.
#   seqread-1m         1 MiB sequential read, iodepth 8, 1 job.
#   randread-4k        4 KiB random read over the whole export, iodepth 32, 2 jobs: with the default
#                      --size 2G and --cache 256M, most reads miss the page cache ("uncached").
#   randread-4k-cached 4 KiB random read over the first --hot bytes (default 64M) after one 128 KiB
#                      sequential read of them (under the 256 KiB bypass: it fills the cache): every
#                      read is a cache hit ("cached"; target: no slower on s3 than on file).
#   Options --workloads picks a subset (default: all four).
#
# The endpoint rows say whether sequential I/O is limited by the endpoint or by Blockhaus: s3
# seqwrite-1m's durable MB/s ÷ the endpoint's own PUT MB/s at the same parallelism (the server runs
# with --s3-max-parallel-puts --put-parallel, S3EndpointBench with as many threads) near 1 means the
# endpoint is the limit; likewise s3 seqread-1m ÷ the endpoint's GET MB/s (whole objects).
# Uncached 4 KiB random reads: every miss is one 4 KiB ranged GET made by one of Blockhaus's NBD
# worker threads (max(8, 4 x cores): 8 on 2 cores), one request at a time each; the endpoint's own
# 4 KiB ranged GETs/s at --rget-parallel threads (default 8: pass 4 x cores on a machine with more
# than 2), through Blockhaus's own AwsObjectStore.getRange, is the most such a server can get. s3
# randread-4k IOPS ÷ that near 1 means the endpoint (at that parallelism) is the limit; well below,
# Blockhaus is. The endpoint's mean latency beside s3 randread-4k's says the same from the other side
# (fio keeps 64 reads in flight against 8 threads: its mean is ~8x the endpoint's when the threads are
# the queue).
#
# Options
#   --rounds N          rounds (default 3)       --runtime S   timed seconds per workload (default 10)
#   --ramp S            fio ramp_time (default 2) --warmup S   warm-up pass seconds (default 3; 0: none)
#   --size SIZE         size of each export (default 2G); the micro-Ceph OSD holds the s3 one in RAM
#                       at ~2x (so ~4 GiB of RAM at the default)
#   --object-size SIZE  the s3 export's object size (default 4M)
#   --cache SIZE        Blockhaus --cache-size (default 256M)    --hot SIZE  the cached region (default 64M)
#   --put-parallel N    PUTs in flight: S3EndpointBench's threads and Blockhaus's --s3-max-parallel-puts
#                       (default 8, the server's default)
#   --rget-parallel N   S3EndpointBench's threads for the 4 KiB ranged GETs (default 8: Blockhaus's
#                       NBD worker threads on up to 2 cores, each making one GET at a time)
#   --endpoint URL      use this S3 endpoint instead of starting micro-Ceph (needs --bucket)
#   --bucket B          bucket (default: s3-nbd-bench on micro-Ceph)
#   --ceph-mem SIZE     micro-Ceph memstore capacity (default 2 x --size + 2G: the volume, the PUT
#                       benchmark's objects before they are deleted, and slack: a full OSD hangs)
#   --exports "LIST"    "file s3" (default), or one of them (e.g. "file" to try the script without
#                       the s3 wiring)
#   --bh-args "ARGS"    extra `serve` arguments (word-split)
#   --out DIR           results (default bench-results/s3-nbd-YYYYmmdd-HHMMSS)
#   --work-dir DIR      where the work directory goes (default /tmp)   --base-port P  (default 21900)
#   --keep              keep the work directory (file export, logs, micro-Ceph's logs)
#
# Needs fio (nbd engine), nbdinfo (libnbd-bin), python3-libnbd (for /usr/bin/python3), curl (>= 7.75), python3,
# the jar (deploy/bin/jdk25 mvn -B -q -DskipTests package) and, without --endpoint, Ceph
# (deploy/ceph/README.md). Lifetimes: everything runs under `timeout`; an EXIT trap stops fio,
# Blockhaus and micro-Ceph and removes the work directory.
#
# Example (what the coordinator runs):  deploy/bench/s3-nbd.sh --rounds 3 --runtime 10

set -euo pipefail

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
JAR="$ROOT/server/target/blockhaus-server.jar"
JDK25="$ROOT/deploy/bin/jdk25"
MICRO_CEPH="$ROOT/deploy/ceph/micro-ceph.sh"
ENDPOINT_BENCH="$ROOT/deploy/bench/S3EndpointBench.java"

ROUNDS=3 RUNTIME=10 RAMP=2 WARMUP=3 SIZE=2G OBJECT_SIZE=4M CACHE=256M HOT=64M PUT_PARALLEL=8 RGET_PARALLEL=8
ENDPOINT='' BUCKET='' CEPH_MEM='' EXPORTS="file s3" BH_ARGS='' OUT='' WORK_PARENT=/tmp BASE_PORT=21900 KEEP=0
ALL_WORKLOADS="seqwrite-1m seqread-1m randread-4k randread-4k-cached"
WORKLOADS=$ALL_WORKLOADS
ARGS="$*"

die() { echo "s3-nbd: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --runtime) RUNTIME=$2; shift 2 ;;
        --ramp) RAMP=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --object-size) OBJECT_SIZE=$2; shift 2 ;;
        --cache) CACHE=$2; shift 2 ;;
        --hot) HOT=$2; shift 2 ;;
        --put-parallel) PUT_PARALLEL=$2; shift 2 ;;
        --rget-parallel) RGET_PARALLEL=$2; shift 2 ;;
        --endpoint) ENDPOINT=$2; shift 2 ;;
        --bucket) BUCKET=$2; shift 2 ;;
        --ceph-mem) CEPH_MEM=$2; shift 2 ;;
        --exports) EXPORTS=$2; shift 2 ;;
        --workloads) WORKLOADS=$2; shift 2 ;;
        --bh-args) BH_ARGS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --work-dir) WORK_PARENT=$2; shift 2 ;;
        --base-port) BASE_PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

for n in "$ROUNDS" "$RUNTIME" "$RAMP" "$WARMUP" "$PUT_PARALLEL" "$RGET_PARALLEL" "$BASE_PORT"; do
    case "$n" in ''|*[!0-9]*) die "not a whole number: '$n'" ;; esac
done
if [ "$ROUNDS" -lt 1 ] || [ "$RUNTIME" -lt 1 ] || [ "$PUT_PARALLEL" -lt 1 ] || [ "$RGET_PARALLEL" -lt 1 ]; then
    die "--rounds, --runtime, --put-parallel, --rget-parallel must be >= 1"
fi
bytes() { numfmt --from=iec "${1%[bB]}" 2>/dev/null || die "bad size '$1'"; }
SIZE_BYTES=$(bytes "$SIZE"); OBJECT_BYTES=$(bytes "$OBJECT_SIZE"); HOT_BYTES=$(bytes "$HOT")
[ $((SIZE_BYTES % 1048576)) -eq 0 ] || die "--size must be a whole number of MiB"
[ "$HOT_BYTES" -le "$SIZE_BYTES" ] || die "--hot must not exceed --size"
[ -n "$CEPH_MEM" ] || CEPH_MEM=$((2 * SIZE_BYTES + (2 << 30)))
CEPH_MEM_BYTES=$(bytes "$CEPH_MEM")
for e in $EXPORTS; do case "$e" in file|s3) ;; *) die "unknown export '$e' (file, s3)" ;; esac; done
for w in $WORKLOADS; do
    case " $ALL_WORKLOADS " in *" $w "*) ;; *) die "unknown workload '$w' (one of: $ALL_WORKLOADS)" ;; esac
done
[ -z "$ENDPOINT" ] || [ -n "$BUCKET" ] || die "--endpoint needs --bucket"
[ -n "$BUCKET" ] || BUCKET=s3-nbd-bench
for t in fio nbdinfo curl python3 timeout numfmt; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
done
/usr/bin/python3 -c 'import nbd' 2>/dev/null || die "missing python3-libnbd (for /usr/bin/python3)"
[ -f "$JAR" ] || die "$JAR not built (deploy/bin/jdk25 mvn -B -q -DskipTests package)"
if [ -z "$ENDPOINT" ]; then
    command -v radosgw >/dev/null 2>&1 || die "no --endpoint and Ceph is not installed (see deploy/ceph/README.md)"
else
    if [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
        die "--endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
    fi
fi

[ -n "$OUT" ] || OUT="bench-results/s3-nbd-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT/raw"
OUT=$(CDPATH='' cd -- "$OUT" && pwd)
WORK=$(mktemp -d "$WORK_PARENT/s3-nbd.XXXXXX")
NBD_PORT=$BASE_PORT
PREFIX="s3-nbd-$(date +%Y%m%d%H%M%S)/"

# ---------------------------------------------------------------------------------------------
# Lifetimes
SRV_PID=       # Blockhaus's `timeout` wrapper
FIO_PID=
CEPH_STARTED=0

stop_server() {
    [ -n "$SRV_PID" ] || return 0
    pkill -TERM -P "$SRV_PID" 2>/dev/null || kill -TERM "$SRV_PID" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done   # writeback: up to 60 s
    if kill -0 "$SRV_PID" 2>/dev/null; then
        log "Blockhaus did not stop within 60 s; killing it"
        pkill -KILL -P "$SRV_PID" 2>/dev/null || true
    fi
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$FIO_PID" ]; then kill -TERM "$FIO_PID" 2>/dev/null || true; wait "$FIO_PID" 2>/dev/null || true; fi
    stop_server
    if [ "$CEPH_STARTED" -eq 1 ]; then
        "$MICRO_CEPH" stop "$WORK/ceph" >/dev/null 2>&1 || log "micro-ceph.sh stop failed (logs in $WORK/ceph/log)"
    fi
    if [ "$KEEP" -eq 1 ] || [ "$rc" -ne 0 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# The object store
if [ -z "$ENDPOINT" ]; then
    log "starting micro-Ceph (memstore capacity $(numfmt --to=iec "$CEPH_MEM_BYTES"))"
    CEPH_STARTED=1
    MICRO_CEPH_NO_MGR=1 MICRO_CEPH_OWNER_PID=$$ MICRO_CEPH_MEM_BYTES=$CEPH_MEM_BYTES \
        timeout 300 "$MICRO_CEPH" start "$WORK/ceph" >"$WORK/ceph.env" </dev/null
    # shellcheck disable=SC1091
    . "$WORK/ceph.env"
    ENDPOINT=$S3_ENDPOINT
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
fi
export AWS_REGION=us-east-1
code=$(curl -s -o "$WORK/create-bucket.xml" -w '%{http_code}' --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -X PUT "$ENDPOINT/$BUCKET")
case "$code" in
    200) log "bucket $BUCKET created on $ENDPOINT" ;;
    409) log "bucket $BUCKET exists on $ENDPOINT" ;;
    *) die "creating bucket $BUCKET on $ENDPOINT: HTTP $code: $(cat "$WORK/create-bucket.xml")" ;;
esac

# ---------------------------------------------------------------------------------------------
# Blockhaus with both exports
uri() { echo "nbd://127.0.0.1:$NBD_PORT/$1"; }

start_server() {
    local exports=() e life=$(( (ROUNDS + 1) * 4 * 2 * (RUNTIME + RAMP + WARMUP + 90) + 1200 ))
    for e in $EXPORTS; do
        case "$e" in
            file) truncate -s "$SIZE_BYTES" "$WORK/file.img"; exports+=(--export "name=file,path=$WORK/file.img") ;;
            s3) exports+=(--export "name=s3,store=s3,bucket=$BUCKET,prefix=$PREFIX,object-size=$OBJECT_BYTES,size=$SIZE_BYTES") ;;
        esac
    done
    local s3opts=()
    case " $EXPORTS " in
        *" s3 "*) s3opts=(--s3-endpoint "$ENDPOINT" --s3-region us-east-1 --s3-path-style
                          --s3-max-parallel-puts "$PUT_PARALLEL") ;;
    esac
    # shellcheck disable=SC2086
    timeout -k 10 "$life" "$JDK25" java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
        -jar "$JAR" serve --data-dir "$WORK/data" --nbd-listen "127.0.0.1:$NBD_PORT" \
        --grpc-listen "127.0.0.1:$((BASE_PORT + 1))" --metrics-listen off --cache-size "$CACHE" \
        "${s3opts[@]}" "${exports[@]}" $BH_ARGS >"$WORK/blockhaus.log" 2>&1 </dev/null &
    SRV_PID=$!
    for e in $EXPORTS; do
        for _ in $(seq 1 300); do
            timeout 5 nbdinfo --size "$(uri "$e")" >/dev/null 2>&1 && continue 2
            kill -0 "$SRV_PID" 2>/dev/null || { log "Blockhaus exited; its log:"; cat "$WORK/blockhaus.log" >&2; exit 1; }
            sleep 0.2
        done
        log "export $e not ready after 60 s; Blockhaus's log:"; cat "$WORK/blockhaus.log" >&2; exit 1
    done
}

# ---------------------------------------------------------------------------------------------
# fio
fio_args() {   # workload -> fio job options
    case "$1" in
        seqwrite-1m|fill)   echo "--rw=write --bs=1m --iodepth=8 --numjobs=1 --size=$SIZE_BYTES" ;;
        seqread-1m)         echo "--rw=read --bs=1m --iodepth=8 --numjobs=1 --size=$SIZE_BYTES" ;;
        randread-4k)        echo "--rw=randread --bs=4k --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 --size=$SIZE_BYTES" ;;
        randread-4k-cached) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=2 --norandommap --randrepeat=0 --size=$HOT_BYTES" ;;
        # 128 KiB: under the export's 256 KiB streaming bypass, so the pass goes through (and fills) the cache
        warm-hot)           echo "--rw=read --bs=128k --iodepth=8 --numjobs=1 --size=$HOT_BYTES" ;;
        *) die "unknown workload $1" ;;
    esac
}

# run_fio EXPORT WORKLOAD OUT.json RUNTIME RAMP   (RUNTIME 0: one untimed pass)
run_fio() {
    local e=$1 w=$2 out=$3 rt=$4 ramp=$5 timing="" limit=900 rc=0
    if [ "$rt" -gt 0 ]; then timing="--time_based --runtime=$rt --ramp_time=$ramp"; limit=$((rt + ramp + 120)); fi
    # shellcheck disable=SC2046,SC2086
    timeout -k 5 "$limit" fio --name="$w" --ioengine=nbd --uri="$(uri "$e")" $(fio_args "$w") $timing \
        --group_reporting --output-format=json --output="$out" >"$out.stderr" 2>&1 &
    FIO_PID=$!
    wait "$FIO_PID" || rc=$?
    FIO_PID=
    [ "$rc" -eq 0 ] || { log "fio $w on $e failed (see $out.stderr):"; tail -5 "$out.stderr" >&2; exit 1; }
}

FLUSH_S=0
flush() {   # EXPORT -> FLUSH_S: the seconds one NBD flush took (python3-libnbd is /usr/bin/python3's)
    local t0 t1
    t0=$(date +%s%N)
    timeout 600 /usr/bin/python3 -c 'import nbd, sys; h = nbd.NBD(); h.connect_uri(sys.argv[1]); h.flush(); h.shutdown()' \
        "$(uri "$1")" || { log "NBD flush of $1 failed"; exit 1; }
    t1=$(date +%s%N)
    FLUSH_S=$(python3 -c "print(f'{($t1 - $t0) / 1e9:.3f}')")
}

# one timed workload on one export: appends a row to results.csv
measure() {   # ROUND EXPORT WORKLOAD
    local r=$1 e=$2 w=$3 json="$OUT/raw/r$1-$2-$3.json" fl=0
    [ "$w" != randread-4k-cached ] || run_fio "$e" warm-hot "$OUT/raw/r$r-$e-warm-hot.json" 0 0
    run_fio "$e" "$w" "$json" "$RUNTIME" "$RAMP"
    if [ "$w" = seqwrite-1m ]; then flush "$e"; fl=$FLUSH_S; fi
    python3 - "$r" "$e" "$w" "$json" "$fl" >>"$OUT/results.csv" <<'EOF'
import json, sys
rnd, exp, wl, path, flush = sys.argv[1:6]
txt = open(path).read()
job = json.loads(txt[txt.index('{'):])["jobs"][0]
d = job["write" if "write" in wl else "read"]
p99 = d["clat_ns"].get("percentile", {}).get("99.000000", 0) / 1000.0
mean = d.get("lat_ns", {}).get("mean", 0) / 1000.0   # submission to completion, like the endpoint rows' mean
secs = job["job_runtime"] / 1000.0
# durable MB/s: a write's bytes over its runtime plus the flush after it (one job: job_runtime is its
# time); for reads the same as fio's MB/s
durable = d["io_bytes"] / (secs + float(flush)) / 1e6 if wl == "seqwrite-1m" and secs else d["bw_bytes"] / 1e6
print(f'{rnd},{exp},{wl},{d["iops"]:.0f},{d["bw_bytes"]/1e6:.1f},{p99:.1f},{flush},{durable:.1f},{mean:.1f}')
EOF
    log "    $(tail -1 "$OUT/results.csv")"
}

endpoint_bench() {   # ROUND: three rows, endpoint put-4m-x…, get-4m-x… and rget-4k-x…
    local raw="$OUT/raw/r$1-endpoint-bench.txt"
    # --request-timeout 5: Blockhaus's default --s3-request-timeout, for the ranged GETs' client
    "$JDK25" java -cp "$JAR" "$ENDPOINT_BENCH" --endpoint "$ENDPOINT" --bucket "$BUCKET" \
        --prefix "${PREFIX}endpoint-bench/" --object-size "$OBJECT_BYTES" --parallel "$PUT_PARALLEL" \
        --seconds "$RUNTIME" --get-seconds "$RUNTIME" --rget-seconds "$RUNTIME" --rget-parallel "$RGET_PARALLEL" \
        --rget-size 4096 --request-timeout 5 --delete >"$raw" 2>&1 </dev/null \
        || { log "S3EndpointBench failed:"; cat "$raw" >&2; exit 1; }
    python3 - "$1" "$raw" >>"$OUT/results.csv" <<'EOF'
import json, sys
for line in open(sys.argv[2]):
    if line.startswith('{"op"'):
        j = json.loads(line)
        # iops column: requests per second (whole objects for put and get, ranges for rget); p99 and
        # mean in µs like the fio rows. Workload: op, object size (put, get) or range size (rget), threads.
        size = f'{j["request_size"] >> 10}k' if j["op"] == "rget" else f'{j["object_size"] >> 20}m'
        print(f'{sys.argv[1]},endpoint,{j["op"]}-{size}-x{j["parallel"]},'
              f'{j["objects"] / j["seconds"]:.1f},{j["mb_s"]:.1f},{j["p99_ms"] * 1000:.1f},0,{j["mb_s"]:.1f},'
              f'{j["mean_ms"] * 1000:.1f}')
EOF
    log "    $(tail -3 "$OUT/results.csv" | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------------------------
# Run
meta() { printf '%s: %s\n' "$1" "$2" >>"$OUT/meta.txt"; }
: >"$OUT/meta.txt"
meta command "$0 $ARGS"
meta started "$(date -Is)"
meta loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta nproc "$(nproc)"
meta memory "$(free -h | awk '/^Mem:/ {print $2}')"
meta jdk "$("$JDK25" java -version 2>&1 | head -1)"
meta fio "$(fio --version)"
meta ceph "$(ceph --version 2>/dev/null || echo "none (endpoint $ENDPOINT)")"
meta settings "rounds=$ROUNDS runtime=$RUNTIME ramp=$RAMP warmup=$WARMUP size=$SIZE object_size=$OBJECT_SIZE cache=$CACHE hot=$HOT put_parallel=$PUT_PARALLEL rget_parallel=$RGET_PARALLEL exports='$EXPORTS' workloads='$WORKLOADS' bucket=$BUCKET prefix=$PREFIX bh_args='$BH_ARGS'"
meta endpoint "$ENDPOINT"
meta blockhaus_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "round,export,workload,iops,mb_s,p99_us,flush_s,durable_mb_s,mean_us" >"$OUT/results.csv"

start_server
log "Blockhaus up: exports $EXPORTS on 127.0.0.1:$NBD_PORT; results in $OUT"
for e in $EXPORTS; do
    log "filling $e ($SIZE)"
    run_fio "$e" fill "$OUT/raw/fill-$e.json" 0 0
    flush "$e"
    meta "fill_flush_s_$e" "$FLUSH_S"
done
if [ "$WARMUP" -gt 0 ]; then
    for e in $EXPORTS; do
        for w in $WORKLOADS; do run_fio "$e" "$w" "$OUT/raw/warmup-$e-$w.json" "$WARMUP" 0; done
        flush "$e"
    done
fi
read -r -a export_list <<<"$EXPORTS"
for round in $(seq 1 "$ROUNDS"); do
    order=("${export_list[@]}")
    if [ $((round % 2)) -eq 0 ] && [ "${#order[@]}" -eq 2 ]; then order=("${order[1]}" "${order[0]}"); fi
    log "round $round/$ROUNDS: ${order[*]} (load $(cut -d' ' -f1 /proc/loadavg))"
    meta "round_$round" "order=${order[*]} loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    for w in $WORKLOADS; do
        for e in "${order[@]}"; do measure "$round" "$e" "$w"; done
    done
    endpoint_bench "$round"
done
stop_server
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta finished "$(date -Is)"

# ---------------------------------------------------------------------------------------------
# Medians and ratios
python3 - "$OUT" <<'EOF'
import csv, os, statistics as st, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
med = {}
for r in rows:
    med.setdefault((r["export"], r["workload"]), []).append(r)
m = {k: {f: st.median(float(r[f]) for r in v) for f in ("iops", "mb_s", "p99_us", "flush_s", "durable_mb_s", "mean_us")}
     for k, v in med.items()}
wls = [w for w in ("seqwrite-1m", "seqread-1m", "randread-4k", "randread-4k-cached") if any(k[1] == w for k in m)]
lines = ["| workload | file IOPS | file MB/s | s3 IOPS | s3 MB/s | IOPS s3 ÷ file | p99 µs file | p99 µs s3 | p99 s3 ÷ file |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
def ratio(a, b): return f"{a / b:.2f}×" if b else "–"
for w in wls:
    f, s = m.get(("file", w)), m.get(("s3", w))
    cell = lambda d, k, fmt: fmt.format(d[k]) if d else "–"
    lines.append(f"| {w} | {cell(f, 'iops', '{:.0f}')} | {cell(f, 'mb_s', '{:.1f}')} | {cell(s, 'iops', '{:.0f}')} | "
                 f"{cell(s, 'mb_s', '{:.1f}')} | {ratio(s['iops'], f['iops']) if f and s else '–'} | "
                 f"{cell(f, 'p99_us', '{:.0f}')} | {cell(s, 'p99_us', '{:.0f}')} | "
                 f"{ratio(s['p99_us'], f['p99_us']) if f and s else '–'} |")
lines.append("")
# beside the randread-4k row: the endpoint's own 4 KiB ranged GETs at Blockhaus's reading parallelism
s = m.get(("s3", "randread-4k"))
for k in sorted(k for k in m if k[0] == "endpoint" and k[1].startswith("rget-")):
    d, threads = m[k], k[1].rsplit("-x", 1)[1]
    lines.append(f"- endpoint 4 KiB ranged GETs/s at {threads} threads ({k[1]}): {d['iops']:.0f}, mean "
                 f"{d['mean_us'] / 1000:.1f} ms, p99 {d['p99_us'] / 1000:.1f} ms"
                 + (f" (s3 randread-4k: {s['iops']:.0f} IOPS, mean {s['mean_us'] / 1000:.1f} ms)" if s else ""))
    if s and d["iops"]:
        lines.append(f"- s3 randread-4k IOPS ÷ endpoint ranged GETs/s at {threads} threads: {s['iops'] / d['iops']:.2f} "
                     f"(near 1: the endpoint at that parallelism is the limit; well below: Blockhaus is)")
for e in ("file", "s3"):
    d = m.get((e, "seqwrite-1m"))
    if d:
        lines.append(f"- {e} seqwrite-1m durable: {d['durable_mb_s']:.1f} MB/s (fio {d['mb_s']:.1f} MB/s, then a {d['flush_s']:.2f} s flush)")
for k in sorted(k for k in m if k[0] == "endpoint" and not k[1].startswith("rget-")):
    d, op = m[k], k[1].split("-")[0]
    lines.append(f"- endpoint's own {op.upper()} throughput ({k[1]}: object size, threads): {d['mb_s']:.1f} MB/s, "
                 f"{d['iops']:.1f} objects/s, p99 {d['p99_us'] / 1000:.0f} ms")
    s = m.get(("s3", "seqwrite-1m" if op == "put" else "seqread-1m"))
    if s and d["mb_s"]:
        mine = s["durable_mb_s"] if op == "put" else s["mb_s"]
        lines.append(f"- s3 {'seqwrite-1m durable' if op == 'put' else 'seqread-1m'} ÷ endpoint {op.upper()}: "
                     f"{mine / d['mb_s']:.2f} (near 1: the endpoint is the limit; well below: Blockhaus is)")
c = m.get(("s3", "randread-4k-cached")), m.get(("file", "randread-4k-cached"))
if all(c):
    lines.append(f"- cached 4 KiB random read, s3 ÷ file: {c[0]['iops'] / c[1]['iops']:.2f} (target ≥ ~1: the cache is the same)")
table = "\n".join(lines)
open(os.path.join(out, "summary.md"), "w").write(table + "\n")
print(table)
EOF
log "results in $OUT (results.csv, summary.md, meta.txt, raw/)"
