#!/usr/bin/env bash
# Starts Debian's Prometheus (apt-get install prometheus) on loopback with the configuration in
# this directory, next to a Blockhaus server started with its default --metrics-listen
# (127.0.0.1:9464). It runs in the foreground until Ctrl-C; its data goes to its own directory,
# never to the system Prometheus's /var/lib/prometheus.
#
#   deploy/monitoring/start-prometheus.sh [--listen HOST:PORT] [--data DIR] [-- EXTRA PROMETHEUS FLAGS]
#
#   --listen   where Prometheus serves its UI and API (default 127.0.0.1:9090)
#   --data     its TSDB directory (default ./blockhaus-data/prometheus, next to serve's default
#              data directory)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
listen=127.0.0.1:9090
data=./blockhaus-data/prometheus
while [ $# -gt 0 ]; do
    case "$1" in
        --listen) listen="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "start-prometheus.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

prometheus="$(command -v prometheus || true)"
if [ -z "$prometheus" ]; then
    echo "start-prometheus.sh: no prometheus on PATH; on Debian: apt-get install --no-install-recommends prometheus" >&2
    exit 1
fi
if command -v promtool >/dev/null 2>&1; then
    promtool check config "$here/prometheus.yml" >/dev/null
fi

mkdir -p "$data"
echo "Prometheus: http://$listen/ (targets: http://$listen/targets, alerts: http://$listen/alerts)"
echo "scraping Blockhaus at 127.0.0.1:9464 (serve --metrics-listen); data in $data; Ctrl-C stops it"
# --web.console.*: Debian's package keeps them under /usr/share/prometheus; they are optional.
exec "$prometheus" \
    --config.file="$here/prometheus.yml" \
    --storage.tsdb.path="$data" \
    --storage.tsdb.retention.time=7d \
    --web.listen-address="$listen" \
    "$@"
