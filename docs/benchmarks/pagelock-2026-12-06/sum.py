import json,sys
# CPU ns per call on the benchmark thread (cpuNanos/calls) and over the JVM (jvmCpuNanos/calls) where present.
for f in sys.argv[1:]:
    d=json.load(open(f)); out=[]
    for b in d:
        sec=b["secondaryMetrics"]; n=b["benchmark"].split(".")[-1]; p=b.get("params",{})
        key=n+"/"+p.get("cacheMiB","-")
        thr=round(sec["cpuNanos"]["score"]/sec["calls"]["score"]) if "cpuNanos" in sec and "calls" in sec else None
        jvm=round(sec["jvmCpuNanos"]["score"]/sec["calls"]["score"]) if "jvmCpuNanos" in sec and "calls" in sec else None
        gc=sec.get("gc.time",{}).get("score")
        out.append(f"{key}: thr={thr} jvm={jvm} gc={gc} wall={round(b['primaryMetric']['score'],1)}")
    print(f.split("/")[-1]); [print("  ",o) for o in out]
