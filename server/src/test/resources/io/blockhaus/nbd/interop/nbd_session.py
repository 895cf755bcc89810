# An NBD client driven line by line from stdin, for tests that act between requests (kill the
# server, stop the object store, take a volume over). Each command prints one JSON line:
#   write OFF LEN SEED   writes LEN bytes made from SEED (the same bytes every time) at OFF
#   read OFF LEN SEED    reads LEN bytes at OFF; "equal" says whether they are SEED's bytes (0: zeroes)
#   flush                NBD_CMD_FLUSH
#   quit
# A request that fails answers {"ok": false, "errno": "EIO", "error": "..."}; the session goes on.
# Usage: nbd_session.py URI
import errno
import json
import random
import sys

import nbd


def data(seed, length):
    if seed == 0:
        return bytes(length)
    return random.Random(seed).randbytes(length)


h = nbd.NBD()
h.connect_uri(sys.argv[1])
print(json.dumps({"ok": True, "read_only": bool(h.is_read_only()), "size": h.get_size()}), flush=True)
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "quit":
        break
    try:
        if words[0] == "write":
            off, length, seed = int(words[1]), int(words[2]), int(words[3])
            h.pwrite(data(seed, length), off)
            answer = {"ok": True}
        elif words[0] == "read":
            off, length, seed = int(words[1]), int(words[2]), int(words[3])
            got = h.pread(length, off)
            answer = {"ok": True, "equal": got == data(seed, length)}
        elif words[0] == "flush":
            h.flush()
            answer = {"ok": True}
        else:
            answer = {"ok": False, "errno": "EINVAL", "error": "unknown command " + words[0]}
    except nbd.Error as e:
        answer = {"ok": False, "errno": errno.errorcode.get(e.errno or 0, str(e.errno)), "error": e.string}
    print(json.dumps(answer), flush=True)
try:
    h.shutdown()
except nbd.Error:
    pass
