#!/usr/bin/env bash
# micro-ceph.sh -- a throw-away single-node Ceph cluster with the RADOS Gateway (S3) on loopback, no
# systemd: what Blockhaus's RGW tests (RgwFixture), .ci/run and deploy/bench/s3-nbd.sh run against.
# Adopted from the session recipe ../shared/tools/micro-ceph.sh; see deploy/ceph/README.md.
#
# Usage:
#   micro-ceph.sh start DIR [PORT]   # wipes DIR (only if it is empty or an earlier micro-ceph DIR), starts
#                                    # mon + mgr + 1 memstore OSD + radosgw (beast) on 127.0.0.1:PORT
#                                    # (default: a free port outside 6800-7300), creates an S3 user and
#                                    # prints shell-sourceable S3 settings (also written to DIR/s3.env).
#   micro-ceph.sh stop DIR           # stops the daemons recorded in DIR/run/*.pid (keeps DIR for its logs)
#   micro-ceph.sh status DIR         # `ceph -s` of that cluster
#
# Requirements: Debian 12 (Ceph 16.2.15 "pacific"):
#   apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-mgr radosgw ceph-common
#   Uses uuidgen, curl (>= 7.75 for the signed probe), /usr/bin/python3 (pulled in by ceph-common).
#   Runs as root or as an ordinary user (everything lives under DIR); never touches /etc/ceph or /var/lib/ceph.
#
# Environment knobs:
#   MICRO_CEPH_MON_PORT     mon msgr2 port (default: a free port picked at start)
#   MICRO_CEPH_NO_MGR=1     skip ceph-mgr (S3 works without it; saves ~250-300 MiB RSS and ~0.7 s; `ceph -s`
#                           then has no PG/usage stats; the MGR_DOWN warning is silenced via mon_mgr_mkfs_grace)
#   MICRO_CEPH_MEM_BYTES    memstore capacity of the OSD (default 4 GiB). Data lives in RAM at ~2x its size;
#                           when the OSD is 95% "full" requests BLOCK (RGW hangs), so size it above your data set.
#   MICRO_CEPH_ACCESS_KEY / MICRO_CEPH_SECRET_KEY   fixed S3 keys (default: random)
#   MICRO_CEPH_TIMEOUT      seconds to wait for each daemon (default 120)
#   MICRO_CEPH_OWNER_PID    stop the cluster by itself once this process has exited (a detached
#                           watcher polls it every second): a test JVM or benchmark that dies by SIGKILL
#                           leaves no daemons behind.
#
# Design notes / pitfalls handled:
#   * cephx auth with keyrings under DIR, fresh fsid each start, msgr2 only, everything bound to 127.0.0.1.
#   * OSD uses the in-memory "memstore" objectstore (compiled into Debian's ceph-osd): no disks, no
#     ceph-volume, no LVM. Stop SIGKILLs the OSD because a graceful memstore umount dumps all data to DIR.
#   * stop order matters: radosgw hangs in shutdown (until SIGKILL) if the OSD is already dead.
#   * PID 1 in containers may reap daemonized children late: zombies are treated as stopped.
#   * paxos_propose_interval 0.1 (default 1 s): every osdmap change waits for it; start 13 s -> 3.5 s,
#     RGW's lazy pool creation on the first bucket/PUT/multipart 2.5 s each -> 0.3 s.
#   * pg_num 8 per pool, mon_max_pg_per_osd 1000: default 32 PGs x 7 RGW pools = 224 of the 250 PG/OSD limit,
#     so one extra pool (placement target, test pool) would fail to be created.
#   * size 1 pools: osd_pool_default_size=1, mon_allow_pool_size_one, mon_warn_on_pool_no_redundancy=false.
#   * readiness = RGW answers HTTP, S3 user created, then a SigV4-signed curl probe (create bucket, put,
#     get, delete) passes; it also pre-creates the bucket index/data pools.
#   * memstore capacity IS enforced (with ~5 s lag): past 95 % the OSD is "full", cluster HEALTH_ERR and
#     every RGW request hangs. RAM use of the OSD is ~2x the bytes stored (512 MiB stored -> 1.08 GiB RSS).
#     Deleted or overwritten objects' tails are kept until RGW's garbage collection (60 s here, 2 h by default).
#   * PORT must be outside 6800-7300 (OSD/mgr bind there). Several clusters can run side by side
#     (different DIR and PORT).
#   * S3 bucket names have 3 to 63 characters: a shorter one is answered 400 InvalidBucketName.
#   * Client side: AWS SDK for Java v2 >= 2.30 (tested 2.59.1) gets HTTP 400 on PutObject/UploadPart from this
#     RGW (Ceph 16 lacks the new default CRC32/aws-chunked trailer checksums). Build the client with
#     .requestChecksumCalculation(WHEN_REQUIRED).responseChecksumValidation(WHEN_REQUIRED)
#     and .forcePathStyle(true), region us-east-1.
#   * RGW honours a create-only PutObject (If-None-Match: *: 412 when the key exists) but answers 412 to
#     If-Match even with the matching ETag.
#
# Measured on a 2-vCPU / 24 GiB Debian 12 VM (Ceph 16.2.15):
#   apt-get install (ceph-mon ceph-osd ceph-mgr radosgw ceph-common): ~20-25 s, ~65 MB download, ~330 MB installed.
#   start (incl. the signed S3 probe): 3.3-4.2 s with mgr, 3.4-3.7 s with MICRO_CEPH_NO_MGR=1.
#   stop: 0.3-1.6 s.  RSS idle: ~380-450 MiB total (mgr 260-295, osd 45-65, rgw 36-50, mon 36-38);
#   ~120-150 MiB without mgr.
#   S3 (fresh cluster): put 4 MiB ~45 ms, ranged get 64 KiB ~5 ms, list ~50 ms, delete ~5 ms;
#   sequential 4 MiB PUTs ~75-95 MiB/s (one client).

# `A && B || die ...` is meant: die whenever A or B fails.
# shellcheck disable=SC2015
set -euo pipefail

die() { echo "micro-ceph: $*" >&2; exit 1; }
log() { echo "micro-ceph: $*" >&2; }
PY=/usr/bin/python3

abspath() { [ "$2" = start ] && mkdir -p "$1"; [ -d "$1" ] || die "no such directory: $1"; (cd "$1" && pwd -P); }

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port_in_use() {
  "$PY" - "$1" <<'PYEOF'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1]))); sys.exit(1)
except OSError:
    sys.exit(0)
PYEOF
}

# ceph CLI bound to this cluster
c() { ceph --conf "$CONF" --connect-timeout 30 "$@"; }

# wait_for SECONDS DESCRIPTION CMD...
wait_for() {
  local t=$1 what=$2; shift 2
  local end=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "timed out after ${t}s waiting for $what (logs in $DIR/log)"
    sleep 0.2
  done
}

pid_running() { # alive and not a zombie (PID 1 in containers may reap late)
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

pid_is_ours() { # alive and a daemon (its conf) or the watcher of this cluster (guards against stale/reused pids)
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_running "$pid" \
    && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$CONF" -e " watch $DIR "
}

# watch OWNER_PID FSID: the detached watcher of MICRO_CEPH_OWNER_PID; stops the cluster once the owner
# has gone, unless DIR has been restarted since (another fsid) or stopped (no pid files).
watch_owner() {
  local owner=$1 fsid=$2
  while pid_running "$owner"; do sleep 1; done
  if grep -qF "fsid = $fsid" "$CONF" 2>/dev/null; then
    log "owner process $owner has exited: stopping the cluster in $DIR"
    IN_WATCHER=1 stop_cluster
  fi
}

# signal_and_wait SIG NAME... : signal the named daemons of this cluster, wait up to 15 s, then SIGKILL
signal_and_wait() {
  local sig=$1 name pidf pid pids="" end; shift
  for name in "$@"; do
    pidf="$DIR/run/$name.pid"
    [ -f "$pidf" ] || continue
    pid=$(cat "$pidf" 2>/dev/null || true)
    if pid_is_ours "$pid"; then kill -s "$sig" "$pid" 2>/dev/null || true; pids="$pids $pid"; fi
    rm -f "$pidf"
  done
  end=$(( $(date +%s) + 15 ))
  for pid in $pids; do
    while pid_running "$pid"; do
      if [ "$(date +%s)" -ge "$end" ]; then kill -s KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  done
}

stop_cluster() {
  [ -d "$DIR/run" ] || return 0
  [ "${IN_WATCHER:-0}" = 1 ] || signal_and_wait TERM watch
  # Clients of the OSD first: radosgw hangs in shutdown if the OSD is already gone.
  signal_and_wait TERM client.rgw.r mgr.x
  # memstore OSD gets SIGKILL: a graceful umount would dump every object to DIR/osd for nothing.
  signal_and_wait KILL osd.0
  signal_and_wait TERM mon.a
}

write_conf() {
  cat > "$CONF" <<CONFEOF
[global]
fsid = $FSID
mon_initial_members = a
mon_host = [v2:127.0.0.1:$MON_PORT]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
ms_bind_msgr1 = false
ms_bind_msgr2 = true
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
run_dir = $DIR/run
pid_file = $DIR/run/\$name.pid
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
osd_memory_target = 939524096
# default 1 s: every osdmap change (pool creation by RGW, OSD boot) waits for it; 0.1 cuts start-up 13 s -> 3.5 s
paxos_propose_interval = 0.1
$( [ "${MICRO_CEPH_NO_MGR:-0}" = 1 ] && echo "mon_mgr_mkfs_grace = 31536000  # no mgr on purpose: silence MGR_DOWN" )

[mon.a]
mon_data = $DIR/mon
mon_cluster_log_file = $DIR/log/cluster.log

[osd]
osd_data = $DIR/osd
keyring = $DIR/osd/keyring
osd_objectstore = memstore
memstore_device_bytes = $MEM_BYTES
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1

[mgr]
mgr_data = $DIR/mgr
keyring = $DIR/mgr/keyring

[client.admin]
keyring = $DIR/admin.keyring
log_file = $DIR/log/client.admin.log

[client.rgw.r]
keyring = $DIR/rgw/keyring
rgw_data = $DIR/rgw
rgw_frontends = beast endpoint=127.0.0.1:$PORT
rgw_thread_pool_size = 64
# deleted/overwritten tails are garbage-collected after 2 h by default; memstore keeps them in RAM
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
rgw_dns_name = 127.0.0.1
CONFEOF
}

start_cluster() {
  local t0 ak sk out
  t0=$(date +%s%3N)
  TIMEOUT=${MICRO_CEPH_TIMEOUT:-120}
  MEM_BYTES=${MICRO_CEPH_MEM_BYTES:-4294967296}
  if [ -z "$PORT" ]; then
    # the kernel's ephemeral range (32768-60999 by default) lies above 6800-7300; loop in case it was changed
    PORT=$(free_port)
    while [ "$PORT" -ge 6800 ] && [ "$PORT" -le 7300 ]; do PORT=$(free_port); done
  fi
  [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "PORT must be a TCP port number"
  # OSD and mgr bind to free ports in ms_bind_port_min..max (6800-7300): keep RGW out of that range.
  { [ "$PORT" -lt 6800 ] || [ "$PORT" -gt 7300 ]; } || die "PORT $PORT is inside 6800-7300 (used by OSD/mgr); pick another"
  for b in ceph ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool monmaptool uuidgen curl "$PY"; do
    command -v "$b" >/dev/null || die "missing $b (apt-get install ceph-mon ceph-osd ceph-mgr radosgw ceph-common)"
  done
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    [ -f "$DIR/.micro-ceph" ] || die "$DIR is not empty and not a micro-ceph dir; refusing to wipe it"
    stop_cluster
    rm -rf "${DIR:?}"/* "$DIR"/.micro-ceph
  fi
  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use"
  mkdir -p "$DIR"/{log,run,mon,osd,mgr,rgw,crash}
  touch "$DIR/.micro-ceph"
  # shellcheck disable=SC2154  # rc is assigned inside the trap
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed (rc=$rc), stopping daemons; logs in $DIR/log"; stop_cluster; fi' EXIT

  MON_PORT=${MICRO_CEPH_MON_PORT:-$(free_port)}
  FSID=$(uuidgen)
  write_conf

  # --- keys + monmap + mon
  ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$DIR/mon.keyring" --import-keyring "$DIR/admin.keyring" >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$DIR/monmap" >/dev/null
  ceph-mon --conf "$CONF" -i a --mkfs --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring"
  ceph-mon --conf "$CONF" -i a >>"$DIR/log/mon.a.stderr" 2>&1
  wait_for "$TIMEOUT" "ceph-mon" c mon stat

  # --- osd (memstore)
  local osd_uuid osd_secret osd_id
  osd_uuid=$(uuidgen)
  osd_secret=$(ceph-authtool --gen-print-key)
  osd_id=$(echo "{\"cephx_secret\": \"$osd_secret\"}" | c osd new "$osd_uuid" -i -)
  [ "$osd_id" = 0 ] || die "unexpected osd id '$osd_id'"
  ceph-authtool --create-keyring "$DIR/osd/keyring" --name osd.0 --add-key "$osd_secret" >/dev/null
  ceph-osd --conf "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/osd-mkfs.log" 2>&1
  ceph-osd --conf "$CONF" -i 0 >>"$DIR/log/osd.0.stderr" 2>&1

  # --- mgr (optional)
  if [ "${MICRO_CEPH_NO_MGR:-0}" != 1 ]; then
    c auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$DIR/mgr/keyring" >/dev/null
    ceph-mgr --conf "$CONF" -i x >>"$DIR/log/mgr.x.stderr" 2>&1
  fi

  # --- rgw
  c auth get-or-create client.rgw.r mon 'allow rw' osd 'allow rwx' mgr 'allow rw' -o "$DIR/rgw/keyring" >/dev/null
  wait_for "$TIMEOUT" "osd.0 up" sh -c "ceph --conf '$CONF' osd dump 2>/dev/null | grep -q '^osd.0 up'"
  radosgw --conf "$CONF" -n client.rgw.r >>"$DIR/log/client.rgw.r.stderr" 2>&1
  wait_for "$TIMEOUT" "radosgw on 127.0.0.1:$PORT" curl -sf -o /dev/null "http://127.0.0.1:$PORT/"

  # --- S3 user
  ak=${MICRO_CEPH_ACCESS_KEY:-$("$PY" -c 'import secrets,string; print("".join(secrets.choice(string.ascii_uppercase+string.digits) for _ in range(20)))')}
  sk=${MICRO_CEPH_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(30)[:40])')}
  out=$(radosgw-admin --conf "$CONF" user create --uid=micro --display-name="micro-ceph test user" \
          --access-key="$ak" --secret-key="$sk" 2>>"$DIR/log/radosgw-admin.log")
  "$PY" -c 'import json,sys; d=json.load(sys.stdin); k=d["keys"][0]; assert k["access_key"]==sys.argv[1] and k["secret_key"]==sys.argv[2]' "$ak" "$sk" <<<"$out" \
      || die "radosgw-admin user create did not return the expected keys"

  # Authenticated S3 probe (also pre-creates the bucket index/data pools so the first test op is fast).
  if curl --help all 2>/dev/null | grep -q -- --aws-sigv4; then
    local s3c=(curl -sf -o /dev/null --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk"
               -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
    local u="http://127.0.0.1:$PORT/micro-ceph-probe"
    "${s3c[@]}" -X PUT "$u" && "${s3c[@]}" -X PUT --data-binary probe "$u/k" && "${s3c[@]}" "$u/k" \
      && "${s3c[@]}" -X DELETE "$u/k" && "${s3c[@]}" -X DELETE "$u" || die "authenticated S3 probe failed"
  fi

  cat > "$DIR/s3.env" <<ENVEOF
S3_ENDPOINT=http://127.0.0.1:$PORT
AWS_ACCESS_KEY_ID=$ak
AWS_SECRET_ACCESS_KEY=$sk
AWS_REGION=us-east-1
CEPH_CONF=$CONF
ENVEOF
  cat "$DIR/s3.env"
  trap - EXIT
  if [ -n "${MICRO_CEPH_OWNER_PID:-}" ]; then
    pid_running "$MICRO_CEPH_OWNER_PID" || die "MICRO_CEPH_OWNER_PID $MICRO_CEPH_OWNER_PID is not running"
    setsid "$SELF" watch "$DIR" "$MICRO_CEPH_OWNER_PID" "$FSID" </dev/null >>"$DIR/log/watch.log" 2>&1 &
    echo $! > "$DIR/run/watch.pid"
  fi
  log "up in $(( $(date +%s%3N) - t0 ))ms (fsid $FSID, mon 127.0.0.1:$MON_PORT, S3 http://127.0.0.1:$PORT)"
}

USAGE="usage: $0 start DIR [PORT] | stop DIR | status DIR"
SELF=$(readlink -f "$0")
CMD=${1:-}; DIR_ARG=${2:-}
[ -n "$CMD" ] && [ -n "$DIR_ARG" ] || die "$USAGE"
DIR=$(abspath "$DIR_ARG" "$CMD")
CONF="$DIR/ceph.conf"
case "$CMD" in
  start)  PORT=${3:-}; start_cluster ;;
  stop)   [ -f "$DIR/.micro-ceph" ] || die "$DIR is not a micro-ceph dir"; stop_cluster; log "stopped" ;;
  status) c -s ;;
  watch)  watch_owner "${3:?owner pid}" "${4:?fsid}" ;;   # internal: see MICRO_CEPH_OWNER_PID
  *) die "$USAGE" ;;
esac
