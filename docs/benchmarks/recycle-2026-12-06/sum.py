import re,sys,glob,collections
for f in sys.argv[1:]:
    rows=collections.defaultdict(dict)
    started=False
    for line in open(f):
        if line.startswith('Benchmark '): started=True; continue
        if not started: continue
        m=re.match(r'(\S+?)(?::(\S+))?\s+(\d+|N/A)?\s*(\S+)?\s+avgt\s+\d+\s+([\d.]+)',line)
        if not m: continue
        b,sec,p1,p2,score=m.groups()
        key=(b.split('.')[-1],p1,p2)
        rows[key][sec or 'ns/op']=float(score)
    print('==',f.split('/')[-1])
    for k,v in rows.items():
        calls=v.get('calls')
        out=f"{k[0]:28s} {k[1] or '':>5s} {k[2] or '':6s} wall {v['ns/op']:8.0f}"
        if calls:
            out+=f"  cpu/call {v['cpuNanos']/calls:7.0f}"
            if 'jvmCpuNanos' in v: out+=f"  jvm/call {v['jvmCpuNanos']/calls:7.0f}"
        if 'gc.count' in v: out+=f"  gc {v['gc.count']:.0f} / {v.get('gc.time',0):.0f} ms"
        if 'gc.alloc.rate.norm' in v: out+=f"  alloc {v['gc.alloc.rate.norm']:.0f} B/op"
        print(out)
