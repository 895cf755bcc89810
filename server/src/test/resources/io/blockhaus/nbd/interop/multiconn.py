# CAN_MULTI_CONN through libnbd: 4 connections each write a disjoint range (no flush, no FUA);
# as soon as one write completes every connection must read it back (one shared page cache);
# then a flush on connection 0 must persist all four (checked by the Java side in the file).
# argv: URI RANGE_LEN ; prints one JSON line {"errors": [...], "multi_conn": bool}
import json
import sys

import nbd

uri, length = sys.argv[1], int(sys.argv[2])
N = 4
errors = []
handles = []
for i in range(N):
    h = nbd.NBD()
    h.set_handle_name("conn%d" % i)
    h.connect_uri(uri)
    handles.append(h)
multi = all(h.can_multi_conn() for h in handles)


def data(i):
    return bytes(((j * 7 + i * 31 + 1) & 0xFF) or 1 for j in range(256)) * (length // 256)


def offset(i):
    return i * 8 * (1 << 20) + 4096 * i + 512  # disjoint, not page aligned


for i, h in enumerate(handles):
    h.pwrite(data(i), offset(i))
    for j, r in enumerate(handles):
        if r.pread(length, offset(i)) != data(i):
            errors.append("conn%d does not see conn%d's completed write" % (j, i))
for j, r in enumerate(handles):
    for i in range(N):
        if r.pread(length, offset(i)) != data(i):
            errors.append("conn%d lost conn%d's write" % (j, i))
handles[0].flush()
for h in handles:
    h.shutdown()
print(json.dumps({"errors": errors, "multi_conn": multi, "offsets": [offset(i) for i in range(N)]}))
