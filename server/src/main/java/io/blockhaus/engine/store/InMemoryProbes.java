package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The questions a thread that must not block (an event loop) may ask a {@link SparseFileStore}:
 * read this if the kernel holds it (preadv2 with RWF_NOWAIT), and is this range in memory
 * (cachestat, or mincore on older kernels). Each answers at once; "false" always means "ask the
 * blocking path", never an error.
 *
 * <p>Why apart from {@link PositionalIo}: nothing here may wait, not even for the descriptor's
 * lifecycle lock, so every probe only tries it ({@link OpenFile#tryEnter()}) and gives up while
 * a close runs; and the cases a fast path is not worth (heap or read-only memory, bytes past the
 * end, which the blocking read zero-fills) answer false before any system call.
 */
final class InMemoryProbes {
    private final OpenFile f;
    /** False once the system calls said they cannot tell residency: nothing is then known to be in memory. */
    private volatile boolean canCachestat = true;

    InMemoryProbes(OpenFile f) {
        this.f = f;
    }

    /** One preadv2(RWF_NOWAIT) of whole direct buffers inside the file; anything else answers false. */
    boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
        MemorySegment[] segs = new MemorySegment[dsts.length];
        long total = 0;
        for (int i = 0; i < dsts.length; i++) {
            ByteBuffer dst = dsts[i];
            if (!dst.isDirect() || dst.isReadOnly()) {
                return false;
            }
            segs[i] = MemorySegment.ofBuffer(dst);
            total += dst.remaining();
        }
        if (offset < 0 || offset > f.size() - total) {
            return false; // bytes past the end are zero-filled by read(), not worth a fast path
        }
        if (!f.tryEnter()) {
            return false; // closing: the blocking path reports it
        }
        try {
            if (!f.file().readFullyIfInMemory(offset, segs)) {
                return false;
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + total + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
        for (ByteBuffer dst : dsts) {
            dst.position(dst.limit());
        }
        return true;
    }

    /** {@link #readIfInMemory(long, ByteBuffer[])} of one native segment: one preadv2, no buffer views. */
    boolean readIfInMemory(long offset, MemorySegment dst) {
        long n = dst.byteSize();
        if (!dst.isNative() || dst.isReadOnly() || offset < 0 || offset > f.size() - n) {
            return false; // as the scatter form: bytes past the end are not worth a fast path
        }
        if (!f.tryEnter()) {
            return false; // closing: the blocking path reports it
        }
        try {
            return f.file().readFullyIfInMemory(offset, new MemorySegment[] {dst});
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    /** See {@link BackingStore#isInMemory}: cachestat(2), or mincore(2) on older kernels ({@link NativeIo#allCached}). */
    boolean isInMemory(long offset, long length) {
        if (!canCachestat || offset < 0 || length < 0 || offset > f.size() - length) {
            return false;
        }
        if (!f.tryEnter()) {
            return false; // closing
        }
        try {
            return f.io().allCached(f.fd(), offset, length);
        } catch (NativeIoException e) {
            if (e.isUnsupported()) {
                canCachestat = false; // a NativeIo that cannot tell: reads are then copied on a worker
                return false;
            }
            throw e.toErrnoException("cachestat " + length + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
    }
}
