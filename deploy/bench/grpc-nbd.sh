#!/usr/bin/env bash
# grpc-nbd.sh — the gRPC front end beside fio over NBD, on the same volume of one server, in one run.
#
#   deploy/bench/grpc-nbd.sh [--seconds N] [--region SIZE]
#
# Starts server/target/blockhaus-server.jar (build it first: deploy/bin/jdk25 mvn -B -q -DskipTests
# package) on a fresh 1 GiB sparse volume in a temporary data directory, 127.0.0.1 only. Rows, each
# over NBD (fio's nbd engine, buffered export) and then over gRPC (client/'s GrpcBench through the
# Java client library; one handle and one blocking call in flight per thread, so threads = iodepth):
#   1 MiB sequential read and write, queue depth 8, over the first --region bytes (default 128M,
#   which the default 256M cache holds; read once untimed first, so reads are cached);
#   4 KiB random read, queue depth 32, over the same region.
# Each row runs --seconds (default 10). Prints "PROTO MODE BS DEPTH MB/s IOPS" lines and the
# gRPC/NBD ratio per row. Needs fio, nbdinfo, python3 and deploy/bin/jdk25.
set -euo pipefail

cd "$(dirname "$0")/../.."
seconds=10 region=$((128 << 20))
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --region) region=$(numfmt --from=iec "$2"); shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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

row() { # mode bs depth
    local mode=$1 bs=$2 depth=$3 fiorw=$1
    fio --name=nbd --ioengine=nbd --uri="$uri" --rw="$fiorw" --bs="$bs" --iodepth="$depth" --size="$region" \
        --time_based --runtime="$seconds" --output-format=json --output="$work/run.json" >/dev/null
    python3 - "$work/run.json" "$mode" "$bs" "$depth" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
side = j["read"] if j["read"]["io_bytes"] else j["write"]
print("nbd %s %s %s %.1f %.0f" % (sys.argv[2], sys.argv[3], sys.argv[4], side["bw_bytes"] / 1e6, side["iops"]))
PY
    deploy/bin/jdk25 java -cp "$cp" io.blockhaus.client.bench.GrpcBench "127.0.0.1:$((port + 1))" bench "$mode" \
        "$(numfmt --from=iec "${bs^^}")" "$depth" "$seconds" "$region" | sed 's/^/grpc /'
}
{
    row read 1M 8
    row write 1M 8
    row randread 4K 32
} | tee "$work/lines"
python3 - "$work/lines" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    proto, mode, bs, depth, mbs, iops = line.split()
    rows.setdefault(mode, {})[proto] = float(mbs)
for mode, r in rows.items():
    if "nbd" in r and "grpc" in r and r["nbd"] > 0:
        print("ratio %s grpc/nbd %.2f" % (mode, r["grpc"] / r["nbd"]))
PY
