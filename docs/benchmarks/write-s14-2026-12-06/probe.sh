#!/usr/bin/env bash
# probe.sh JAR TAG PORT FILE: fresh server (seq-ab's serve options), 4 s untimed 1 MiB write, then
# 8 s timed (2 s ramp) with perf counting the java process's syscalls over 6 s and per-thread CPU.
set -u
JAR=$1 TAG=$2 PORT=$3 FILE=$4 RW=${RW:-write}
D=$(mktemp -d /tmp/s14-write/srv.XXXX)
timeout -k 5 120 /work/wt-write/deploy/bin/jdk25 java --enable-native-access=ALL-UNNAMED -jar "$JAR" serve \
  --data-dir $D/data --nbd-listen 127.0.0.1:$PORT --grpc-listen 127.0.0.1:$((PORT+1)) --metrics-listen 127.0.0.1:$((PORT+2)) \
  --export name=bench,path=$FILE > $D/log 2>&1 &
for _ in $(seq 150); do nbdinfo --size nbd://127.0.0.1:$PORT/bench >/dev/null 2>&1 && break; sleep 0.1; done
PID=$(pgrep -f "nbd-listen 127.0.0.1:$PORT" | while read -r p; do [ "$(cat /proc/$p/comm)" = java ] && echo $p; done | head -1)
FIO="fio --name=s --ioengine=nbd --uri=nbd://127.0.0.1:$PORT/bench --rw=$RW --bs=1M --iodepth=8 --time_based"
$FIO --runtime=4 >/dev/null 2>&1
snap() { for t in /proc/$PID/task/*; do echo "$(tr ' ' _ < $t/comm) $(sed 's/.*) //' $t/stat | awk '{print $12+$13}')"; done | awk '{a[$1]+=$2} END{for(k in a) print k, a[k]}' | sort; }
( sleep 2; snap > $D/a; perf stat -x, -e syscalls:sys_enter_pwritev,syscalls:sys_enter_pwrite64,syscalls:sys_enter_splice,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex,syscalls:sys_enter_writev,syscalls:sys_enter_ioctl -p $PID -- sleep 6 2> $D/perf; snap > $D/b ) &
BG=$!
$FIO --ramp_time=2 --runtime=8 --output-format=json > $D/fio.json 2>/dev/null
wait $BG
kill $PID 2>/dev/null; wait 2>/dev/null
python3 - $D $TAG <<'PY'
import json,sys
d,tag=sys.argv[1],sys.argv[2]
t=open(d+'/fio.json').read(); j=json.loads(t[t.index('{'):])['jobs'][0]
bw=(j['read']['bw_bytes']+j['write']['bw_bytes'])/1e9
ios=j['read']['total_ios']+j['write']['total_ios']
cpu=j['usr_cpu']+j['sys_cpu']
c={}
for l in open(d+'/perf'):
    f=l.strip().split(',')
    if len(f)>2 and f[2].startswith('syscalls'): c[f[2].split('sys_enter_')[1]]=f[0]
a=dict(l.split() for l in open(d+'/a')); b=dict(l.split() for l in open(d+'/b'))
th={k:int(b[k])-int(a.get(k,0)) for k in b if int(b[k])-int(a.get(k,0))>10}
tot=sum(v for k,v in th.items() if not k.startswith(('C1_','C2_')))
wr=c.get('pwritev','0'); pw=c.get('pwrite64','0')
share=(int(wr)+int(pw))/(ios*0.6) if ios else 0
print(f"{tag} {bw:.2f}GB/s cpu_ms_per_GB={tot*10/(bw*6):.0f} restcopied~{share*100:.0f}% ios={ios} fiocpu={cpu:.0f}% "+" ".join(f"{k}={v}" for k,v in c.items())+" | thr "+" ".join(f"{k}={v}" for k,v in sorted(th.items(),key=lambda x:-x[1])))
PY
[ -n "${KEEP:-}" ] || rm -rf $D
