package io.blockhaus.engine.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The loops around {@link NativeIo} that the store needs on one descriptor: full reads and writes
 * (system calls may transfer less than asked), heap buffers bounced through native memory in
 * bounded chunks, zero writing, and the SEEK_DATA / SEEK_HOLE walk. No policy and no locking:
 * the parts of {@link SparseFileStore} ({@link PositionalIo}, {@link InMemoryProbes}, ...)
 * decide when each runs.
 */
final class FileIo {
    /** Bounce and copy buffers never exceed this, whatever the request size. */
    static final int CHUNK = 1 << 20;

    private static final int FIEMAP_BATCH = 64;

    private final NativeIo io;
    private final int fd;
    // Racy on purpose, like Fallocator's flags: a refused call is tried at most once per thread.
    private volatile boolean canFiemap = true;

    FileIo(NativeIo io, int fd) {
        this.io = io;
        this.fd = fd;
    }

    NativeIo io() {
        return io;
    }

    int fd() {
        return fd;
    }

    /** Reads {@code len} bytes at {@code offset} into {@code dst}; bytes past end of file read as zero. */
    void readFully(long offset, ByteBuffer dst, int len) throws NativeIoException {
        if (dst.isDirect()) {
            MemorySegment seg = MemorySegment.ofBuffer(dst).asSlice(0, len);
            readFully(offset, seg);
            dst.position(dst.position() + len);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bounce = arena.allocate(Math.min(len, CHUNK));
            for (int done = 0; done < len; ) {
                int n = (int) Math.min(len - done, bounce.byteSize());
                MemorySegment piece = bounce.asSlice(0, n);
                readFully(offset + done, piece);
                dst.put(piece.asByteBuffer());
                done += n;
            }
        }
    }

    /** Fills the whole segment from {@code offset}; a short file leaves zeroes. */
    void readFully(long offset, MemorySegment seg) throws NativeIoException {
        long done = 0;
        while (done < seg.byteSize()) {
            // The first pread takes the segment itself: a page fill is one call and no slice.
            long n = io.pread(fd, done == 0 ? seg : seg.asSlice(done), offset + done);
            if (n == 0) {
                seg.asSlice(done).fill((byte) 0);
                return;
            }
            done += n;
        }
    }

    /**
     * Fills the native segments in order from {@code offset} with as few preadv calls as IOV_MAX
     * allows; whatever lies past the end of the file is zero-filled.
     */
    void readFully(long offset, MemorySegment[] segs) throws NativeIoException {
        int first = 0;
        long pos = offset;
        while (first < segs.length) {
            int count = Math.min(segs.length - first, NativeIo.IOV_MAX);
            MemorySegment[] batch = first == 0 && count == segs.length
                    ? segs : java.util.Arrays.copyOfRange(segs, first, first + count);
            long n = io.preadv(fd, batch, pos);
            if (n == 0) {
                for (int i = first; i < segs.length; i++) {
                    segs[i].fill((byte) 0);
                }
                return;
            }
            pos += n;
            first = consume(segs, first, n);
        }
    }

    /**
     * After a vectored call moved {@code n} bytes: skips the segments it finished and trims the
     * one it stopped inside; returns the index of the first segment with bytes left.
     */
    private static int consume(MemorySegment[] segs, int first, long n) {
        while (first < segs.length && n >= segs[first].byteSize()) {
            n -= segs[first].byteSize();
            first++;
        }
        if (n > 0) {
            segs[first] = segs[first].asSlice(n);
        }
        return first;
    }

    /**
     * Fills the native segments from {@code offset} only if the kernel holds all of them in
     * memory (one preadv2 with RWF_NOWAIT); false when any part would have to wait for the disk,
     * and then the segments hold unspecified bytes. The caller keeps the range inside the file.
     */
    boolean readFullyIfInMemory(long offset, MemorySegment[] segs) throws NativeIoException {
        if (segs.length > NativeIo.IOV_MAX) {
            return false;
        }
        long want = 0;
        for (MemorySegment s : segs) {
            want += s.byteSize();
        }
        return io.preadvNoWait(fd, segs, offset) == want;
    }

    /**
     * Writes every buffer's remaining bytes in order from {@code offset}, in as few pwritev calls
     * as the chunk and IOV_MAX limits allow, then consumes the buffers (position = limit).
     */
    void writeFully(long offset, ByteBuffer[] srcs) throws NativeIoException {
        long heapBytes = 0;
        for (ByteBuffer src : srcs) {
            heapBytes += src.isDirect() ? 0 : src.remaining();
        }
        try (Arena arena = Arena.ofConfined()) {
            // Sized to the request: a 4 KiB page write must not allocate and zero a megabyte.
            MemorySegment bounce = heapBytes == 0 ? null : arena.allocate(Math.min(heapBytes, CHUNK));
            long bounceSize = bounce == null ? 0 : bounce.byteSize();
            long bounceUsed = 0;
            List<MemorySegment> batch = new ArrayList<>();
            long pos = offset;
            for (ByteBuffer src : srcs) {
                if (!src.hasRemaining()) {
                    continue;
                }
                MemorySegment seg = MemorySegment.ofBuffer(src);
                if (seg.isNative()) {
                    if (batch.size() == NativeIo.IOV_MAX) {
                        pos = flush(pos, batch);
                        bounceUsed = 0;
                    }
                    batch.add(seg);
                    continue;
                }
                for (long done = 0; done < seg.byteSize(); ) {
                    if (bounceUsed == bounceSize || batch.size() == NativeIo.IOV_MAX) {
                        pos = flush(pos, batch);
                        bounceUsed = 0;
                    }
                    long n = Math.min(seg.byteSize() - done, bounceSize - bounceUsed);
                    MemorySegment.copy(seg, done, bounce, bounceUsed, n);
                    batch.add(bounce.asSlice(bounceUsed, n));
                    bounceUsed += n;
                    done += n;
                }
            }
            flush(pos, batch);
        }
        for (ByteBuffer src : srcs) {
            src.position(src.limit());
        }
    }

    /** Writes the batch fully, continuing after short writes; returns the next offset. */
    private long flush(long pos, List<MemorySegment> batch) throws NativeIoException {
        MemorySegment[] segs = batch.toArray(MemorySegment[]::new);
        batch.clear();
        int first = 0;
        while (first < segs.length) {
            MemorySegment[] rest = first == 0 ? segs : java.util.Arrays.copyOfRange(segs, first, segs.length);
            long n = rest.length == 1 ? io.pwrite(fd, rest[0], pos) : io.pwritev(fd, rest, pos);
            if (n <= 0) {
                // A regular file never legitimately writes nothing; looping would spin forever.
                throw new NativeIoException("pwrite (wrote nothing)", NativeIoException.EIO);
            }
            pos += n;
            first = consume(segs, first, n);
        }
        return pos;
    }

    /** Writes real zeroes over the range, so it is allocated and reads zero on any file system. */
    void writeZeroes(long offset, long length) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeroes = arena.allocate(Math.min(length, CHUNK)); // allocate() zero-fills
            for (long done = 0; done < length; ) {
                long n = Math.min(length - done, zeroes.byteSize());
                writeSegmentFully(offset + done, zeroes.asSlice(0, n));
                done += n;
            }
        }
    }

    private void writeSegmentFully(long offset, MemorySegment seg) throws NativeIoException {
        long done = 0;
        while (done < seg.byteSize()) {
            long n = io.pwrite(fd, seg.asSlice(done), offset + done);
            if (n <= 0) {
                throw new NativeIoException("pwrite (wrote nothing)", NativeIoException.EIO);
            }
            done += n;
        }
    }

    /**
     * Copies {@code length} bytes from {@code src} to {@code dst} through a bounce buffer.
     * Ascending order when {@code dst < src}, descending otherwise, so an overlapping move never
     * reads what it has already overwritten (memmove).
     */
    void copy(long src, long dst, long length) throws NativeIoException {
        if (length <= 0 || src == dst) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.min(length, CHUNK));
            boolean down = dst < src;
            for (long done = 0; done < length; ) {
                long n = Math.min(length - done, buf.byteSize());
                long at = down ? done : length - done - n;
                MemorySegment piece = buf.asSlice(0, n);
                readFully(src + at, piece);
                writeSegmentFully(dst + at, piece);
                done += n;
            }
        }
    }

    /**
     * The SEEK_DATA / SEEK_HOLE walk over {@code [offset, end)}, appended to {@code out}.
     * Throws whatever lseek throws, so the caller decides whether "unsupported" means
     * "report one data extent".
     */
    void scanExtents(long offset, long end, ExtentList out) throws NativeIoException {
        long pos = offset;
        while (pos < end) {
            long data = seekOrEnd(pos, NativeIo.SEEK_DATA, end);
            data = Math.clamp(data, pos, end);
            if (!addHole(pos, data, out) || data >= end) {
                return;
            }
            long hole = seekOrEnd(data, NativeIo.SEEK_HOLE, end);
            // A hole at or before data can only be a concurrent change: call the rest data.
            hole = hole <= data ? end : Math.min(hole, end);
            if (!out.add(data, hole - data, false)) {
                return;
            }
            pos = hole;
        }
    }

    /**
     * A run SEEK_DATA skipped over: really a hole, or (where fiemap says it is allocated)
     * allocated zeroes. ext4 and XFS report zero-range'd "unwritten" space as a hole to lseek,
     * though it is allocated and writes there cannot fail for lack of space; NBD's HOLE flag
     * must not claim otherwise. Without fiemap, the run stays a hole (as lseek says).
     */
    private boolean addHole(long from, long to, ExtentList out) throws NativeIoException {
        if (to <= from) {
            return true;
        }
        long[] mapped = canFiemap ? mappedIn(from, to) : null;
        long pos = from;
        for (int i = 0; mapped != null && i + 1 < mapped.length; i += 2) {
            long s = Math.max(mapped[i], pos);
            long e = Math.min(mapped[i + 1], to);
            if (e <= s) {
                continue;
            }
            if (!out.add(pos, s - pos, true) || !out.add(s, e - s, false, true)) {
                return false;
            }
            pos = e;
        }
        return out.add(pos, to - pos, true);
    }

    /** Allocated ranges inside {@code [from, to)} as start/end pairs, or null if fiemap is refused. */
    private long[] mappedIn(long from, long to) throws NativeIoException {
        long[] buf = new long[3 * FIEMAP_BATCH];
        long[] ranges = new long[0];
        long pos = from;
        try {
            while (pos < to) {
                int n = io.fiemap(fd, pos, to - pos, buf);
                if (n == 0) {
                    break;
                }
                int base = ranges.length;
                ranges = java.util.Arrays.copyOf(ranges, base + 2 * n);
                for (int i = 0; i < n; i++) {
                    ranges[base + 2 * i] = buf[3 * i];
                    ranges[base + 2 * i + 1] = buf[3 * i] + buf[3 * i + 1];
                }
                long next = buf[3 * (n - 1)] + buf[3 * (n - 1) + 1];
                if ((buf[3 * (n - 1) + 2] & NativeIo.FIEMAP_EXTENT_LAST) != 0 || n < FIEMAP_BATCH || next <= pos) {
                    break;
                }
                pos = next;
            }
            return ranges;
        } catch (NativeIoException e) {
            if (e.isUnsupported()) {
                canFiemap = false; // remembered, as the fallocate fallbacks are
                return null;
            }
            throw e;
        }
    }

    /** lseek, with ENXIO (nothing more of that kind before end of file) meaning {@code end}. */
    private long seekOrEnd(long pos, int whence, long end) throws NativeIoException {
        try {
            return io.lseek(fd, pos, whence);
        } catch (NativeIoException e) {
            if (e.errno() == NativeIoException.ENXIO) {
                return end;
            }
            throw e;
        }
    }
}
