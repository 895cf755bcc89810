#!/usr/bin/env bash
# grpc-nbd.sh — the gRPC front end beside fio over NBD, on the same volume of one server, in one run.
#
#   deploy/bench/grpc-nbd.sh [--seconds N] [--warmup N] [--region SIZE] [--ceiling]
#
# Starts server/target/blockhaus-server.jar (build it first: deploy/bin/jdk25 mvn -B -q -DskipTests
# package) on a fresh 1 GiB sparse volume in a temporary data directory, 127.0.0.1 only. Rows, all
# over NBD (fio's nbd engine, buffered export), then all over gRPC (client/'s GrpcBench through the
# Java client library; one handle and one blocking call in flight per thread, so threads = iodepth):
#   1 MiB sequential read and write, queue depth 8, over the first --region bytes (default 128M,
#   which the default 256M cache holds; read once untimed first, so reads are cached);
#   4 KiB random read, queue depth 32, over the same region.
# Each side first runs every row once for --warmup seconds (default 5) unmeasured, then each row
# for --warmup seconds more (fio's ramp_time) and measures --seconds (default 10). All gRPC rows
# run in one client JVM (GrpcBench), so the JIT compiles client and server once before anything
# is measured, as fio's native code is compiled from the start. Prints
# "PROTO MODE BS DEPTH MB/s IOPS CLIENT_CPU_US/OP SERVER_CPU_US/OP" lines and per row the gRPC/NBD
# ratios of throughput and of CPU time per operation (client and server, over the measured
# seconds): on a shared machine the second says more, since it does not count time spent waiting
# for a core. --ceiling adds each row against client/'s NullServer (a gRPC server of the same API
# that does nothing: replies are one preallocated buffer, writes are dropped), run after the real
# server stopped: what the gRPC path reaches with no engine, so a target above it is out of reach
# of any server change. Needs fio, nbdinfo, python3 and deploy/bin/jdk25.
set -euo pipefail

cd "$(dirname "$0")/../.."
seconds=10 warmup=5 ceiling=0 region=$((128 << 20))
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --ceiling) ceiling=1; shift ;;
        --region) region=$(numfmt --from=iec "$2"); shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
jar=server/target/blockhaus-server.jar
[ -f "$jar" ] || { echo "$jar missing: deploy/bin/jdk25 mvn -B -q -DskipTests package" >&2; exit 2; }
# The client's classes from the build, its dependencies from the local repository (blockhaus-proto's
# entry there need not exist: proto/target/classes comes first).
deploy/bin/jdk25 mvn -B -q -pl proto,client dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
cp="client/target/classes:proto/target/classes:$(cat client/target/bench-classpath.txt)"

work=$(mktemp -d /tmp/grpc-nbd.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$((25000 + RANDOM % 1000))
uri="nbd://127.0.0.1:$port/bench"
deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED -jar "$jar" serve --data-dir "$work/data" \
    --nbd-listen "127.0.0.1:$port" --grpc-listen "127.0.0.1:$((port + 1))" --metrics-listen "127.0.0.1:$((port + 2))" \
    --export name=bench,size=1G >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    timeout 5 nbdinfo --size "$uri" >/dev/null 2>&1 && break
    sleep 0.2
done
# Fill the region with data (a sparse hole reads without touching the cache's pages).
fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1m --iodepth=8 --size="$region" --output=/dev/null

cpu_ticks() { # user+system clock ticks (1/100 s) of process $1, from /proc
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    set -- $stat
    echo $(( ${12} + ${13} ))
}
rows=("read 1M 8" "write 1M 8" "randread 4K 32")
fio_row() { # mode bs depth ramp runtime
    fio --name=nbd --ioengine=nbd --uri="$uri" --rw="$1" --bs="$2" --iodepth="$3" --size="$region" \
        --time_based --ramp_time="$4" --runtime="$5" --output-format=json --output="$work/run.json" >/dev/null
}
nbd_row() { # mode bs depth
    local fio_pid s0 s1
    fio_row "$1" "$2" "$3" "$warmup" "$seconds" &
    fio_pid=$!
    # The server's CPU over fio's measured seconds (after its ramp), as GrpcBench reads it for its own.
    sleep "$warmup"; s0=$(cpu_ticks "$pid"); sleep "$seconds"; s1=$(cpu_ticks "$pid")
    wait "$fio_pid"
    python3 - "$work/run.json" "$1" "$2" "$3" "$((s1 - s0))" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
side = j["read"] if j["read"]["io_bytes"] else j["write"]
ops = max(1, side["total_ios"])
secs = side["runtime"] / 1000
client_us = (j["usr_cpu"] + j["sys_cpu"]) / 100 * secs * 1e6 / ops
server_us = int(sys.argv[5]) * 1e4 / ops
print("nbd %s %s %s %.1f %.0f %.1f %.1f" % (sys.argv[2], sys.argv[3], sys.argv[4], side["bw_bytes"] / 1e6, side["iops"],
                                      client_us, server_us))
PY
}
grpc_rows() { # label target server-pid: every row in one client JVM
    local label=$1 target=$2 spid=$3 specs=() mode bs depth
    for r in "${rows[@]}"; do
        read -r mode bs depth <<<"$r"
        specs+=("$mode:$(numfmt --from=iec "${bs^^}"):$depth")
    done
    deploy/bin/jdk25 java -cp "$cp" io.blockhaus.client.bench.GrpcBench "$target" bench "$region" "$seconds" "$warmup" \
        "$spid" "${specs[@]}" | sed "s/^/$label /"
}
{
    # The same unmeasured round for fio as GrpcBench gives itself: every row once, --warmup seconds.
    for r in "${rows[@]}"; do fio_row $r 0 "$warmup"; done
    for r in "${rows[@]}"; do nbd_row $r; done
    grpc_rows grpc "127.0.0.1:$((port + 1))" "$pid"
} | tee "$work/lines"
if [ "$ceiling" = 1 ]; then
    kill "$pid"; wait "$pid" 2>/dev/null || true
    deploy/bin/jdk25 java -cp "$cp" io.blockhaus.client.bench.NullServer "$port" >"$work/null.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do grep -q 'null server' "$work/null.log" && break; sleep 0.2; done
    grpc_rows null "127.0.0.1:$port" "$pid" | tee -a "$work/lines"
fi
python3 - "$work/lines" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    proto, mode, bs, depth, mbs, iops, client_us, server_us = line.split()
    rows.setdefault(mode, {})[proto] = (float(mbs), float(client_us) + float(server_us))
for mode, r in rows.items():
    for proto in ("grpc", "null"):
        if "nbd" in r and proto in r and r["nbd"][0] > 0:
            print("ratio %s %s/nbd throughput %.2f, CPU per op %.2f" % (mode, proto, r[proto][0] / r["nbd"][0],
                                                                      r[proto][1] / r["nbd"][1]))
PY
