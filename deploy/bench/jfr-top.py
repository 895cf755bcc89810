#!/usr/bin/env python3
"""jfr-top.py — where a Blockhaus JFR recording spent its time during each timed fio workload.

    deploy/bench/jfr-top.py OUT/jfr/TAG.jfr OUT/raw TAG

For a recording made by `deploy/bench/nbd-fio.sh --jfr` (TAG is e.g. r1-blockhaus): finds the
timed fio runs OUT/raw/TAG-<workload>.json, takes the measured window of each (fio's end timestamp
minus --runtime), and prints, per workload, for jdk.ExecutionSample (threads running Java) and
jdk.NativeMethodSample (threads in native code: epoll, socket writes, FFM pread/pwrite): the share
of samples per thread pool, the top self frames and the top inclusive frames. Needs `jfr` (JDK) on
PATH, e.g. run it through deploy/bin/jdk25.
"""
import json, subprocess, sys, glob, os, collections, datetime
jfr, rawdir, tag = sys.argv[1:4]
def load(ev):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", ev, jfr],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
wins = []
for p in sorted(glob.glob(os.path.join(rawdir, f"{tag}-*.json"))):
    if "warmup" in p or "fill" in p: continue
    t = open(p).read(); j = json.loads(t[t.index("{"):])
    end = j["timestamp_ms"] / 1000.0
    rt = int(j["jobs"][0]["job options"].get("runtime", "10"))
    wins.append((os.path.basename(p)[len(tag)+1:-5], end - rt, end))
def fname(f):
    m = f["method"]; return m["type"]["name"].split(".")[-1] + "." + m["name"]
for ev in ["jdk.ExecutionSample", "jdk.NativeMethodSample"]:
    evs = load(ev)
    for (w, a, b) in wins:
        sel = [e for e in evs if a <= ts(e["values"]["startTime"]) <= b]
        if not sel: continue
        leaf = collections.Counter(); incl = collections.Counter(); thr = collections.Counter()
        for e in sel:
            fr = (e["values"].get("stackTrace") or {}).get("frames") or []
            th = (e["values"].get("sampledThread") or {}).get("javaName") or "?"
            thr[th.rstrip("0123456789")] += 1
            if fr: leaf[fname(fr[0])] += 1
            for name in set(fname(f) for f in fr):
                incl[name] += 1
        n = len(sel)
        print(f"== {tag} {w} {ev}: {n} samples")
        print("   threads:", ", ".join(f"{k} {100*v/n:.0f}%" for k, v in thr.most_common(6)))
        print("   top self:")
        for k, v in leaf.most_common(14): print(f"     {100*v/n:5.1f}%  {k}")
        print("   top inclusive (io.blockhaus / netty / jdk.internal):")
        c = 0
        for k, v in incl.most_common(200):
            print(f"     {100*v/n:5.1f}%  {k}"); c += 1
            if c >= 22: break
