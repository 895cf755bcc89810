import json,sys,glob,os,re
order=[l.split() for l in open('/tmp/s14-miss/ab/order.txt')]
def load(kind,tag,r):
    f=f'/tmp/s14-miss/ab/{kind}-{tag}-r{r}.json'
    return json.load(open(f)) if os.path.exists(f) and os.path.getsize(f)>0 else None
for o in order:
    kind,tag,r=o[0],o[1],o[2][1:]
    start=o[4]; l1=o[5]; end=o[9]; l2=o[10]
    d=load(kind,tag,r)
    if d is None: print(kind,tag,r,'no json'); continue
    v={}
    for b in d:
        s=b['secondaryMetrics']; n=b['benchmark'].split('.')[-1]; p=b.get('params',{}).get('cacheMiB','')
        v[(n,p)]=dict(thr=s['cpuNanos']['score']/s['calls']['score'] if 'cpuNanos' in s else None,
                      jvm=s['jvmCpuNanos']['score']/s['calls']['score'] if 'jvmCpuNanos' in s else None,
                      gc=s.get('gc.time',{}).get('score'), alloc=s.get('gc.alloc.rate.norm',{}).get('score'))
    if kind=='full':
        a=v[('missUnderFullBudget','64')]; b=v[('missUnderFullBudget','4096')]
        e1=v[('engineMiss','64')]; e2=v[('engineMiss','4096')]; c1=v[('miss','64')]; c2=v[('miss','4096')]
        print(f"| {tag} r{r} ({start}, {l1}-{l2}) | {a['thr']:.0f} → {b['thr']:.0f} (**{b['thr']/a['thr']:.2f}x**) | {b['gc']:.0f} ms | {a['alloc']:.0f} / {b['alloc']:.0f} | {e1['thr']:.0f} → {e2['thr']:.0f} ({e2['thr']/e1['thr']:.2f}x) | {e1['jvm']:.0f} → {e2['jvm']:.0f} ({e2['jvm']/e1['jvm']:.2f}x) | {c1['thr']:.0f} → {c2['thr']:.0f} ({c2['thr']/c1['thr']:.2f}x) |")
    else:
        m=v[('missOverKernelCachedFile','')]['thr']; p=v[('plainPread','')]['thr']; h=v[('hitOverFile','')]['thr']
        print(f"| {tag} r{r} ({start}, {l1}-{l2}) | {m:.0f} | {p:.0f} | **{m/p:.2f}x** | {h:.0f} |")
