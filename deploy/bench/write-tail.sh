#!/usr/bin/env bash
# write-tail.sh — where the 1 MiB sequential write's p99 comes from: an A/B of settings of one
# build, alternated run by run, each run with the counters that tell the suspects apart.
#
#   deploy/bench/write-tail.sh [--rounds N] [--runtime S] [--nice N] [--base-port P] [--out DIR]
#                              JAR [A-ARGS [B-ARGS]]
#
# A-ARGS and B-ARGS are extra `serve` options as one word each (default "" and
# "--nbd-splice-writes=false": the spliced path against the copied one). Each run: a fresh server
# on a 1 GiB file of random bytes (export "bench", 127.0.0.1), a 4 s untimed fio pass (JIT), then
# fio's nbd engine, 1 MiB sequential writes, iodepth 8, one job, --runtime seconds, with a per-I/O
# completion latency log. Beside fio's bandwidth and percentiles, one line per run gives:
#   bdp      writeback:balance_dirty_pages events, system-wide (a writer paused by dirty throttling)
#   fww      writeback:folio_wait_writeback events (a writer waiting for a page under writeback)
#   dirty    the peak of /proc/vmstat nr_dirty (MiB) beside the kernel's throttling threshold
#   slow     250 ms windows whose throughput is under 40 % of the run's median (the tail's shape:
#            slow requests come in such windows, not one by one)
#   tlp/dsack  TCP loss probes and duplicate-data reports, system-wide (nstat): on loopback a
#            probe means an ACK came late, i.e. a receiver that did not run for milliseconds
#   load     the 1-minute load average at the start and end of the run
# and, at the end, the median of bandwidth and p99 per label. With --nice N (e.g. -10), server and
# fio run at that nice level, so a run on a machine others are loading is nearer a quiet one.
# Needs fio, nbdinfo, nstat, perf, python3 and deploy/bin/jdk25; root for perf's tracepoints.
set -euo pipefail

cd "$(dirname "$0")/../.."
rounds=3 runtime=10 nice=0 base_port="" out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --runtime) runtime=$2; shift 2 ;;
        --nice) nice=$2; shift 2 ;;
        --base-port) base_port=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [options] JAR [A-ARGS [B-ARGS]]" >&2; exit 2; }
jar=$1 a_args=${2-} b_args=${3---nbd-splice-writes=false}
port=${base_port:-$((23000 + RANDOM % 2000))}
work=$(mktemp -d /tmp/write-tail.XXXXXX)
out=${out:-$work/out}
mkdir -p "$out"
tpid="" spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
    rm -rf "$work/data" "$work/bench.img"
}
trap cleanup EXIT INT TERM
file=$work/bench.img
dd if=/dev/urandom of="$file" bs=1M count=1024 status=none
uri=nbd://127.0.0.1:$port/bench
load() { cut -d' ' -f1 /proc/loadavg; }

run() { # LABEL EXTRA-ARGS
    local label=$1 extra=()
    read -r -a extra <<<"$2"
    rm -rf "$work/data"
    timeout -k 5 $((runtime + 90)) nice -n "$nice" deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED \
        -jar "$jar" serve "${extra[@]}" --data-dir "$work/data" --nbd-listen 127.0.0.1:"$port" \
        --grpc-listen 127.0.0.1:$((port + 1)) --metrics-listen 127.0.0.1:$((port + 2)) \
        --export name=bench,path="$file" >"$out/$label.server.log" 2>&1 &
    tpid=$!
    for _ in $(seq 150); do nbdinfo --size "$uri" >/dev/null 2>&1 && break; sleep 0.1; done
    nice -n "$nice" fio --name=warm --ioengine=nbd --uri="$uri" --rw=write --bs=1m --iodepth=8 \
        --time_based --runtime=4 >/dev/null 2>&1
    (while :; do awk '$1 == "nr_dirty" {print $2}' /proc/vmstat; sleep 0.1; done) >"$out/$label.dirty" &
    spid=$!
    local load0; load0=$(load)
    nstat -n
    perf stat -a -x, -o "$out/$label.perf" -e writeback:balance_dirty_pages -e writeback:folio_wait_writeback -- \
        nice -n "$nice" fio --name=w --ioengine=nbd --uri="$uri" --rw=write --bs=1m --iodepth=8 \
        --time_based --runtime="$runtime" --write_lat_log="$out/$label" --log_avg_msec=0 \
        --percentile_list=50:99:99.9 --output-format=json >"$out/$label.json" 2>/dev/null
    nstat >"$out/$label.nstat"
    kill "$spid"; spid=""
    kill "$tpid"; wait "$tpid" 2>/dev/null || true; tpid=""
    python3 - "$out" "$label" "$load0" "$(load)" <<'PY'
import json, re, statistics, sys
out, label, load0, load1 = sys.argv[1:]
s = open(f"{out}/{label}.json").read()
w = json.loads(s[s.index("{"):])["jobs"][0]["write"]
p = w["clat_ns"]["percentile"]
ev = {l.split(",")[2]: l.split(",")[0] for l in open(f"{out}/{label}.perf") if l.count(",") > 2}
rows = [l.split(",") for l in open(f"{out}/{label}_clat.1.log")]
win = {}
for r in rows:
    win[int(r[0]) // 250] = win.get(int(r[0]) // 250, 0) + 1
counts = [win.get(i, 0) for i in range(min(win), max(win))]
med = statistics.median(counts)
slow = sum(1 for c in counts if c < 0.4 * med)
nst = {l.split()[0]: int(l.split()[1]) for l in open(f"{out}/{label}.nstat") if l[:1].isalpha() and len(l.split()) > 1}
dirty = max(int(x) for x in open(f"{out}/{label}.dirty") if x.strip()) * 4 // 1024
thresh = int(re.search(r"nr_dirty_threshold (\d+)", open("/proc/vmstat").read()).group(1)) * 4 // 1024
print(f"{label:8s} {w['bw_bytes']/1e9:5.2f} GB/s p50 {p['50.000000']/1e6:5.2f} p99 {p['99.000000']/1e6:6.2f} "
      f"p99.9 {p['99.900000']/1e6:6.2f} ms | bdp {ev.get('writeback:balance_dirty_pages','?')} "
      f"fww {ev.get('writeback:folio_wait_writeback','?')} dirty {dirty}/{thresh} MiB slow {slow}/{len(counts)} "
      f"tlp {nst.get('TcpExtTCPLossProbes',0)} dsack {nst.get('TcpExtTCPDSACKRecv',0)} | load {load0}-{load1}")
PY
}

for r in $(seq "$rounds"); do
    run "A$r" "$a_args" | tee -a "$out/summary"
    run "B$r" "$b_args" | tee -a "$out/summary"
done
echo "A = serve ${a_args:-(defaults)}; B = serve $b_args; per-run files in $out"
python3 - "$out/summary" <<'PY'
import re, statistics, sys
by = {}
for l in open(sys.argv[1]):
    m = re.match(r"([AB])\d+\s+([\d.]+) GB/s .* p99 +([\d.]+)", l)
    if m:
        by.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
for k, v in sorted(by.items()):
    print(f"median {k}: {statistics.median(x[0] for x in v):.2f} GB/s, p99 {statistics.median(x[1] for x in v):.2f} ms ({len(v)} runs)")
PY
