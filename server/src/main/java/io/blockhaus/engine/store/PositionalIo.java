package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The blocking reads and writes of a {@link SparseFileStore}: pread / preadv into the caller's
 * memory, zeroes for whatever lies past the end of the file, pwritev from it, and a failed call
 * turned into the {@link io.blockhaus.engine.errno.ErrnoException} a client sees, with the range
 * and the file in its message.
 *
 * <p>Why one class for both directions: they share the descriptor's lifecycle (each call holds
 * it open, see {@link OpenFile}) and the one rule that makes a short file look like the store's
 * size: a read past the end of the file reads zeroes, a write past the size is EINVAL. The loops
 * that continue short transfers and bounce heap memory are {@link FileIo}'s.
 *
 * <p>Only the forms the file can do without a copy are here; the store sends a heap segment, or
 * a scatter read with heap or read-only buffers, to {@link BackingStore}'s per-buffer defaults.
 */
final class PositionalIo {
    private final OpenFile f;

    PositionalIo(OpenFile f) {
        this.f = f;
    }

    void read(long offset, ByteBuffer dst) {
        int n = dst.remaining();
        StoreArguments.checkReadInto(offset, dst);
        f.enter();
        try {
            int fromFile = Math.clamp(f.size() - offset, 0, n);
            if (fromFile > 0) {
                f.file().readFully(offset, dst, fromFile);
            }
            Zeroes.fill(dst);
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    /** One pread straight into a native segment (no buffer view, no slice) when it lies inside the file. */
    void readNative(long offset, MemorySegment dst) {
        long n = dst.byteSize();
        StoreArguments.checkReadRange(offset, n);
        if (dst.isReadOnly()) {
            throw StoreArguments.einval("read into a read-only segment");
        }
        f.enter();
        try {
            long fromFile = Math.clamp(f.size() - offset, 0, n);
            if (fromFile == n) {
                f.file().readFully(offset, dst);
            } else {
                if (fromFile > 0) {
                    f.file().readFully(offset, dst.asSlice(0, fromFile));
                }
                dst.asSlice(fromFile).fill((byte) 0); // past the end of the file
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + n + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    /**
     * Scatter read: one preadv for up to IOV_MAX direct buffers (the page cache fills a run of
     * pages this way: 256 pages, one system call). False, with nothing read, when any buffer is
     * a heap or read-only one: the caller takes the per-buffer path.
     */
    boolean readDirect(long offset, ByteBuffer[] dsts) {
        long total = 0;
        for (ByteBuffer dst : dsts) {
            if (!dst.isDirect() || dst.isReadOnly()) {
                return false;
            }
            total += dst.remaining();
        }
        StoreArguments.checkReadRange(offset, total);
        f.enter();
        try {
            long fromFile = Math.clamp(f.size() - offset, 0, total);
            List<MemorySegment> segs = new ArrayList<>(dsts.length);
            long planned = 0;
            for (ByteBuffer dst : dsts) {
                long take = Math.min(dst.remaining(), fromFile - planned);
                if (take > 0) {
                    segs.add(MemorySegment.ofBuffer(dst).asSlice(0, take));
                    planned += take;
                }
            }
            if (!segs.isEmpty()) {
                f.file().readFully(offset, segs.toArray(MemorySegment[]::new));
            }
            long skip = fromFile;
            for (ByteBuffer dst : dsts) {
                int fromHere = (int) Math.min(dst.remaining(), skip);
                skip -= fromHere;
                dst.position(dst.position() + fromHere);
                Zeroes.fill(dst); // past the end of the file
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("read " + total + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
        return true;
    }

    /** Gather write: one pwritev per megabyte of heap data (direct buffers are passed as they are). */
    void write(long offset, ByteBuffer[] srcs) {
        long total = 0;
        for (ByteBuffer src : srcs) {
            total += src.remaining(); // at most 2^31 buffers of 2^31 bytes: cannot overflow
        }
        f.enterForChange();
        try {
            f.checkRange("write", offset, total);
            f.file().writeFully(offset, srcs);
        } catch (NativeIoException e) {
            throw e.toErrnoException("write " + total + " bytes at " + offset + " of " + f.path());
        } finally {
            f.exit();
        }
    }
}
