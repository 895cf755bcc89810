# NBD command conformance against one export, through libnbd (in the spirit of qemu's
# iotests nbd tests). Run by LibnbdConformanceTest with /usr/bin/python3.
# argv: URI RO_URI STRUCTURED(0|1)
# Prints one JSON line: {"results": [{"name", "ok", "detail"}...]}; the Java side asserts on it.
import errno
import json
import os
import sys
import traceback

import nbd

uri, ro_uri, structured = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
MiB = 1 << 20
MAX = 32 * MiB
results = []


def check(name, fn):
    try:
        detail = fn()
        results.append({"name": name, "ok": True, "detail": "" if detail is None else str(detail)})
    except AssertionError as e:
        results.append({"name": name, "ok": False, "detail": "check failed: %s" % e})
    except nbd.Error as e:
        results.append({"name": name, "ok": False,
                        "detail": "unexpected nbd.Error %s: %s" % (e.errno, e.string)})
    except Exception:
        results.append({"name": name, "ok": False, "detail": traceback.format_exc()})
    global h
    if h.aio_is_dead() or h.aio_is_closed():
        results[-1]["ok"] = False
        results[-1]["detail"] += " [the connection died in this check; later checks use a new one]"
        h = connect(uri)


def connect(u, meta=True):
    h = nbd.NBD()
    h.set_request_structured_replies(structured)
    if meta:
        h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    # Send what we ask for, so that the server (not libnbd) judges bad requests.
    h.set_strict_mode(0)
    h.connect_uri(u)
    return h


def name(err):
    return errno.errorcode.get(err, str(err))


def expect_error(fn, allowed):
    try:
        fn()
    except nbd.Error as e:
        assert e.errnum in allowed, "got %s (%s), expected one of %s" % (
            name(e.errnum), e.string, [name(a) for a in allowed])
        return name(e.errnum)
    raise AssertionError("succeeded; expected an error from %s" % [name(a) for a in allowed])


h = connect(uri)
size = h.get_size()
SENTINEL_OFF = 16 * MiB
SENTINEL = bytes([0x77]) * 4096
h.pwrite(SENTINEL, SENTINEL_OFF)


def alive(handle=None):
    """The connection still serves requests, and the sentinel is intact."""
    got = (handle or h).pread(4096, SENTINEL_OFF)
    assert got == SENTINEL, "sentinel changed or connection broken"


def pattern(n, seed):
    return bytes((i * 131 + seed) & 0xFF for i in range(n)) if n < 65536 else (
        bytes((i * 131 + seed) & 0xFF for i in range(65536)) * (n // 65536)) + bytes(n % 65536)


def extents(handle, count, offset, flags=0):
    """All base:allocation extents covering [offset, offset+count), asking again as needed."""
    out = []
    pos, end = offset, min(offset + count, size)
    while pos < end:
        got = []

        def cb(ctx, off, entries, err):
            if ctx == nbd.CONTEXT_BASE_ALLOCATION:
                got.append((off, list(entries)))
            return 0
        handle.block_status(end - pos, pos, cb, flags)
        assert len(got) == 1, "expected one base:allocation chunk, got %d" % len(got)
        off, entries = got[0]
        assert off == pos, "chunk for offset %d, asked %d" % (off, pos)
        assert entries and len(entries) % 2 == 0, "bad entries %s" % entries
        for i in range(0, len(entries), 2):
            out.append((pos, entries[i], entries[i + 1]))
            pos += entries[i]
        if flags & nbd.CMD_FLAG_REQ_ONE:
            break
    return out


def state_at(ext, lo, hi):
    """Set of states of extents overlapping [lo, hi)."""
    return {st for (o, n, st) in ext if o < hi and o + n > lo}


HOLEZERO = nbd.STATE_HOLE | nbd.STATE_ZERO


def handshake():
    assert h.get_structured_replies_negotiated() == structured, "structured replies negotiated"
    for f in ("can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero", "can_cache", "can_multi_conn"):
        assert getattr(h, f)(), f + " false"
    assert h.can_df() == structured, "can_df must follow structured replies (spec: DF needs them)"
    assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION) == structured, "base:allocation"
    assert not h.is_read_only()
    assert h.get_block_size(nbd.SIZE_MINIMUM) == 1
    assert h.get_block_size(nbd.SIZE_PREFERRED) == 4096
    assert h.get_block_size(nbd.SIZE_MAXIMUM) == MAX
    return "size %d" % size


def pwrite_pread():
    data = os.urandom(10000)
    h.pwrite(data, 4095)
    assert h.pread(10000, 4095) == data, "unaligned read-back"
    assert h.pread(1, 4095) == data[:1]


def pwrite_fua():
    data = pattern(128 * 1024, 3)
    h.pwrite(data, 1 * MiB + 512, nbd.CMD_FLAG_FUA)
    assert h.pread(len(data), 1 * MiB + 512) == data


def flush():
    h.flush()


def trim():
    h.pwrite(bytes([0x11]) * MiB, 2 * MiB)
    h.trim(MiB, 2 * MiB)
    assert h.pread(MiB, 2 * MiB) == bytes(MiB), "trimmed range must read back zeroes"
    if structured:
        st = state_at(extents(h, MiB, 2 * MiB), 2 * MiB, 3 * MiB)
        assert st == {HOLEZERO}, "block status after trim: states %s, expected only hole|zero" % st


def trim_fua():
    h.pwrite(bytes([0x12]) * 65536, 3 * MiB)
    h.trim(65536, 3 * MiB, nbd.CMD_FLAG_FUA)
    assert h.pread(65536, 3 * MiB) == bytes(65536)


def zero_may_punch():
    h.pwrite(bytes([0x22]) * MiB, 4 * MiB)
    h.zero(MiB, 4 * MiB)
    assert h.pread(MiB, 4 * MiB) == bytes(MiB)
    if structured:
        st = state_at(extents(h, MiB, 4 * MiB), 4 * MiB, 5 * MiB)
        assert all(s & nbd.STATE_ZERO for s in st), "zeroed range must report zero, states %s" % st


def zero_no_hole():
    h.pwrite(bytes([0x33]) * MiB, 5 * MiB)
    h.zero(MiB, 5 * MiB, nbd.CMD_FLAG_NO_HOLE)
    assert h.pread(MiB, 5 * MiB) == bytes(MiB)
    h.zero(100, 5 * MiB + 7, nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FUA)


def zero_unaligned():
    h.pwrite(bytes([0x44]) * 16384, 5 * MiB)
    h.zero(5000, 5 * MiB + 1000)
    got = h.pread(16384, 5 * MiB)
    want = bytes([0x44]) * 1000 + bytes(5000) + bytes([0x44]) * (16384 - 6000)
    assert got == want, "unaligned zero must only zero its own bytes"


def fast_zero():
    h.pwrite(bytes([0x55]) * MiB, 5 * MiB)
    try:
        h.zero(MiB, 5 * MiB, nbd.CMD_FLAG_FAST_ZERO)
    except nbd.Error as e:
        assert e.errnum == errno.ENOTSUP, "FAST_ZERO may only fail with ENOTSUP, got %s" % name(e.errnum)
        assert h.pread(MiB, 5 * MiB) == bytes([0x55]) * MiB, "failed FAST_ZERO should not change data"
        return "ENOTSUP (not fast here)"
    assert h.pread(MiB, 5 * MiB) == bytes(MiB)
    return "accepted"


def fast_zero_no_hole():
    h.pwrite(bytes([0x56]) * MiB, 5 * MiB)
    try:
        h.zero(MiB, 5 * MiB, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
    except nbd.Error as e:
        assert e.errnum == errno.ENOTSUP, "FAST_ZERO may only fail with ENOTSUP, got %s" % name(e.errnum)
        assert h.pread(MiB, 5 * MiB) == bytes([0x56]) * MiB, "failed FAST_ZERO should not change data"
        return "ENOTSUP (not fast here)"
    assert h.pread(MiB, 5 * MiB) == bytes(MiB)
    return "accepted"


def cache():
    h.cache(4 * MiB, 0)
    h.cache(1, size - 1)


def layout():
    """[6M, 8M): hole, 64 KiB data at 7M, hole."""
    h.trim(2 * MiB, 6 * MiB)
    h.pwrite(pattern(65536, 9), 7 * MiB)


def block_status():
    if not structured:
        return expect_block_status_refused()
    layout()
    ext = extents(h, 2 * MiB, 6 * MiB)
    covered = sum(n for (_, n, _) in ext)
    assert covered >= 2 * MiB, "extents cover %d" % covered
    assert state_at(ext, 6 * MiB, 7 * MiB) == {HOLEZERO}, ext
    assert state_at(ext, 7 * MiB, 7 * MiB + 65536) == {0}, ext
    assert state_at(ext, 7 * MiB + 65536, 8 * MiB) == {HOLEZERO}, ext
    # a request past the end is cut, one that starts at the end is refused
    last = extents(h, 8192, size - 4096)
    assert sum(n for (_, n, _) in last) == 4096, "extents past the end: %s" % last
    return [(o, n, s) for (o, n, s) in ext]


def expect_block_status_refused():
    assert not h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    e = expect_error(lambda: h.block_status(4096, 0, lambda *a: 0), {errno.EINVAL})
    alive()
    return "without structured replies: " + e


def block_status_req_one():
    if not structured:
        return "n/a without structured replies"
    layout()
    ext = extents(h, 2 * MiB, 6 * MiB, nbd.CMD_FLAG_REQ_ONE)
    assert len(ext) == 1, "REQ_ONE must give exactly one extent, got %s" % ext
    assert ext[0][1] <= 2 * MiB, "REQ_ONE extent longer than the request: %s" % ext
    assert ext[0] == (6 * MiB, MiB, HOLEZERO), ext
    ext = extents(h, 4096, 7 * MiB, nbd.CMD_FLAG_REQ_ONE)
    assert ext == [(7 * MiB, 4096, 0)], "REQ_ONE must not exceed the request length: %s" % ext


def block_status_without_context():
    if not structured:
        return "n/a"
    h2 = connect(uri, meta=False)
    try:
        e = expect_error(lambda: h2.block_status(4096, 0, lambda *a: 0), {errno.EINVAL})
        alive(h2)
        return e
    finally:
        h2.shutdown()


def read_chunks(count, offset, flags=0):
    chunks = []
    buf = h.pread_structured(count, offset,
                             lambda sub, off, status, err: chunks.append((off, len(sub), status)) or 0, flags)
    return buf, chunks


def read_df():
    layout()
    want = bytes(MiB) + pattern(65536, 9)
    if not structured:
        e = expect_error(lambda: h.pread(len(want), 6 * MiB, nbd.CMD_FLAG_DF), {errno.EINVAL})
        alive()
        return "DF without structured replies: " + e
    buf, chunks = read_chunks(len(want), 6 * MiB, nbd.CMD_FLAG_DF)
    assert buf == want, "DF read content"
    assert chunks == [(6 * MiB, len(want), nbd.READ_DATA)], "DF read must be one data chunk, got %s" % chunks
    return chunks


def read_sparse_chunks_tile():
    layout()
    want = bytes(MiB) + pattern(65536, 9) + bytes(MiB - 65536)
    buf, chunks = read_chunks(2 * MiB, 6 * MiB)
    assert buf == want, "sparse read content"
    pos = 6 * MiB
    for (off, n, st) in sorted(chunks):
        assert off == pos, "chunks must tile the request without gaps/overlap: %s" % chunks
        assert n > 0 and st in (nbd.READ_DATA, nbd.READ_HOLE), chunks
        pos += n
    assert pos == 8 * MiB, "chunks cover up to %d: %s" % (pos, chunks)
    return chunks


def read_write_max():
    data = pattern(MAX, 5)
    h.pwrite(data, 20 * MiB)  # may hit the sentinel? no: sentinel at 16M, this is 20M..52M
    assert h.pread(MAX, 20 * MiB) == data


def read_over_max():
    allowed = {errno.EOVERFLOW, errno.EINVAL} if structured else {errno.EINVAL}
    e = expect_error(lambda: h.pread(MAX + 1, 0), allowed)
    alive()
    return e


def write_over_max():
    before = h.pread(65536, 0)
    allowed = {errno.EOVERFLOW, errno.EINVAL} if structured else {errno.EINVAL}
    e = expect_error(lambda: h.pwrite(bytes([0xEE]) * (MAX + 1), 0), allowed)
    alive()
    assert h.pread(65536, 0) == before, "refused oversize write changed data"
    return e


def out_of_range():
    tail = h.pread(512, size - 512)
    got = {}
    got["read past end"] = expect_error(lambda: h.pread(1024, size - 512), {errno.EINVAL})
    got["read at end"] = expect_error(lambda: h.pread(1, size), {errno.EINVAL})
    got["read far"] = expect_error(lambda: h.pread(4096, 1 << 62), {errno.EINVAL})
    alive()
    got["write past end"] = expect_error(lambda: h.pwrite(bytes([0xAA]) * 1024, size - 512), {errno.ENOSPC})
    got["write far"] = expect_error(lambda: h.pwrite(bytes(4096), 1 << 62), {errno.ENOSPC})
    alive()
    got["trim past end"] = expect_error(lambda: h.trim(1024, size - 512), {errno.EINVAL})
    got["zero past end"] = expect_error(lambda: h.zero(1024, size - 512), {errno.ENOSPC})
    alive()
    assert h.pread(512, size - 512) == tail, "refused requests changed the last sector"
    return got


def large_refused_writes():
    """A refused WRITE with a large payload: the server must read past the payload, answer, carry on."""
    got = {}
    tail = h.pread(4096, size - 4096)
    got["8 MiB write past the end"] = expect_error(
        lambda: h.pwrite(bytes([0xAB]) * (8 * MiB), size - 4096), {errno.ENOSPC})
    alive()
    assert h.pread(4096, size - 4096) == tail, "refused write changed data"
    r = connect(ro_uri)
    try:
        got["8 MiB write to read-only export"] = expect_error(
            lambda: r.pwrite(bytes([0xAB]) * (8 * MiB), 0), {errno.EPERM})
        r.pread(4096, 0)
    finally:
        if not r.aio_is_dead():
            r.shutdown()
    return got


def read_only():
    r = connect(ro_uri)
    try:
        assert r.is_read_only(), "export must be read-only"
        before = r.pread(65536, 0)
        got = {
            "write": expect_error(lambda: r.pwrite(bytes([1]) * 4096, 0), {errno.EPERM}),
            "write fua": expect_error(lambda: r.pwrite(bytes([1]) * 4096, 0, nbd.CMD_FLAG_FUA), {errno.EPERM}),
            "trim": expect_error(lambda: r.trim(4096, 0), {errno.EPERM}),
            "zero": expect_error(lambda: r.zero(4096, 0), {errno.EPERM}),
        }
        assert r.pread(65536, 0) == before, "read-only export changed"
        r.flush()
        r.cache(65536, 0)
        if structured:
            extents(r, 65536, 0)
        return got
    finally:
        r.shutdown()


def fua_on_every_command():
    # Spec: FUA "is valid for all commands, provided NBD_FLAG_SEND_FUA has been negotiated, in
    # which case the server MUST accept all commands with this bit set (even by ignoring the bit)".
    done = []
    for label, fn in (("read", lambda: h.pread(4096, SENTINEL_OFF, nbd.CMD_FLAG_FUA)),
                      ("flush", lambda: h.flush(nbd.CMD_FLAG_FUA)),
                      ("cache", lambda: h.cache(4096, 0, nbd.CMD_FLAG_FUA)),
                      ("block_status", lambda: h.block_status(4096, 0, lambda *a: 0, nbd.CMD_FLAG_FUA))):
        if label == "block_status" and not structured:
            continue
        try:
            fn()
            done.append(label)
        except nbd.Error as e:
            raise AssertionError("%s with FUA refused with %s (server MUST accept FUA on every command)"
                                 % (label, e.errno))
    alive()
    return done


def pipelined():
    """64 writes then 64 reads in flight at once, completed out of order as the server likes."""
    bufs = [nbd.Buffer.from_bytearray(bytearray(pattern(65536, i))) for i in range(64)]
    for i, b in enumerate(bufs):
        h.aio_pwrite(b, 56 * MiB + i * 65536)
    while h.aio_in_flight() > 0:
        h.poll(-1)
    reads = [nbd.Buffer(65536) for _ in range(64)]
    cookies = [h.aio_pread(b, 56 * MiB + i * 65536) for i, b in enumerate(reads)]
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for c in cookies:
        assert h.aio_command_completed(c), "command %d not completed" % c
    for i, b in enumerate(reads):
        assert b.to_bytearray() == pattern(65536, i), "pipelined read %d" % i


TESTS = [("handshake", handshake), ("pwrite+pread", pwrite_pread), ("pwrite FUA", pwrite_fua),
         ("flush", flush), ("trim", trim), ("trim FUA", trim_fua), ("zero (may punch)", zero_may_punch),
         ("zero NO_HOLE", zero_no_hole), ("zero unaligned", zero_unaligned), ("zero FAST_ZERO", fast_zero),
         ("zero FAST_ZERO|NO_HOLE", fast_zero_no_hole), ("cache", cache), ("block_status", block_status),
         ("block_status REQ_ONE", block_status_req_one),
         ("block_status without meta context", block_status_without_context),
         ("pread DF", read_df),
         ("read and write at the maximum block size", read_write_max),
         ("read one byte over the maximum", read_over_max), ("write one byte over the maximum", write_over_max),
         ("out-of-range requests", out_of_range), ("read-only export", read_only),
         ("large refused writes", large_refused_writes),
         ("FUA accepted on every command", fua_on_every_command), ("pipelined aio", pipelined)]
if structured:
    TESTS.append(("pread chunks tile the request", read_sparse_chunks_tile))
for n, f in TESTS:
    check(n, f)
check("connection still serves requests at the end", alive)
try:
    h.shutdown()
except nbd.Error as e:
    results.append({"name": "clean disconnect", "ok": False, "detail": "%s: %s" % (e.errno, e.string)})
print(json.dumps({"results": results}))
