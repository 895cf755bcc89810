package io.blockhaus.engine;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.events.InvalidationReason;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.Pipe;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Direct I/O: around the page cache, under BLOCK on the range, coherent with it.
 *
 * <p>A direct read writes back the range's dirty pages first (they stay cached) so it sees every
 * completed buffered write. A direct write shoots the range down first (write-and-invalidate,
 * page by page under the page lock) so no cached page can shadow what it writes, and BLOCK keeps
 * readers and readahead from re-adding the old contents before the store has the new ones.
 *
 * <p>A direct I/O whose buffer is a mapping must fault that mapping's pages in, which needs ADD.
 * If ADD would have to be granted on a range this I/O holds in BLOCK, it would wait for itself
 * forever: the operation is refused with EDEADLOCK before anything is touched (DESIGN.md rule 2).
 * Otherwise the mapping is faulted outside the BLOCK hold (before a write, after a read), so two
 * volumes doing direct I/O from each other's mappings can never deadlock either.
 */
final class DirectIo {
    /**
     * The most a direct I/O from or into a mapping copies through the heap at once. A mapping's
     * buffer may be up to 2 GiB (a client's number): it is moved in chunks of this size, each a
     * direct I/O of its own under its own BLOCK, through one bounce buffer of at most this size.
     * Like a large O_DIRECT request that the kernel splits into several bios, the whole is not
     * atomic: a failure after the first chunk leaves the chunks before it done.
     */
    static final int MAX_BOUNCE_BYTES = 1 << 20;

    private DirectIo() {
    }

    static void read(Handle h, long offset, ByteBuffer dst) {
        Volume v = h.volume();
        v.checkOpen();
        int len = dst.remaining();
        v.checkRange(offset, len, false);
        if (len == 0) {
            return;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, false);
            v.cache().writebackRange(first, end);
            v.store().read(offset, dst);
        }
    }

    /**
     * See {@link Handle#readDirectAsFileRange}: the direct read's first half (BLOCK, dirty pages
     * of the range written back), then the range of the file that now holds every completed
     * write, for the kernel to read when it sends it; null where the store has no file or the
     * range is not in the kernel's page cache (the caller then reads it where it may wait: a send
     * from the file may run on an event loop). Asked after the write-back, which puts what it
     * writes there.
     */
    static FileRange readAsFileRange(Handle h, long offset, int len) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkRange(offset, len, false);
        FileChannel ch = v.store().channelForSending();
        if (len == 0 || ch == null) {
            return null;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, false);
            v.cache().writebackRange(first, end);
            return v.store().isInMemory(offset, len) ? new FileRange(ch, offset, len) : null;
        }
    }

    static void write(Handle h, long offset, ByteBuffer src) {
        write(h, offset, new ByteBuffer[] {src});
    }

    /** The gather form: the buffers' bytes in turn, as one write (a front end's payload in pieces). */
    static void write(Handle h, long offset, ByteBuffer[] srcs) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        long len = BufferedIo.remaining(srcs);
        v.checkRange(offset, len, true);
        if (len == 0) {
            return;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, true);
            // Dirty pages are written back even where this write covers them whole: if the store
            // write fails, the data they held (acknowledged) must still be there.
            v.cache().invalidate(first, end, true, InvalidationReason.WRITE_AND_INVALIDATE);
            v.store().write(offset, srcs);
        }
    }

    /** See {@link Handle#writeFromPipe}: the direct write, its bytes spliced from the pipe into the store. */
    static boolean writeFromPipe(Handle h, long offset, Pipe pipe, long len) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        v.checkRange(offset, len, true);
        if (len == 0 || !v.store().writesFromPipes()) {
            return false;
        }
        long first = v.firstPage(offset);
        long end = v.endPage(offset, len);
        try (Volume.ResizeHold r = v.resizeShared(); PagecacheLock.Hold hold = v.block(first, end)) {
            v.checkRange(offset, len, true);
            v.cache().invalidate(first, end, true, InvalidationReason.WRITE_AND_INVALIDATE); // as in write: acknowledged data survives a failed store write
            return v.store().writeFrom(offset, pipe, len);
        }
    }

    static void readIntoMapping(Handle h, long offset, MappedBuffer dst) {
        Volume v = h.volume();
        v.checkOpen();
        checkBuffer(dst, true);
        v.checkRange(offset, dst.length(), false);
        if (dst.length() == 0) {
            return;
        }
        refuseRecursiveFault(v, offset, dst);
        ByteBuffer bounce = ByteBuffer.allocate(Math.min(dst.length(), MAX_BOUNCE_BYTES));
        for (int done = 0; done < dst.length(); done += bounce.limit()) {
            bounce.clear().limit(Math.min(dst.length() - done, MAX_BOUNCE_BYTES));
            read(h, offset + done, bounce);
            dst.mapping().write(dst.offset() + done, bounce.flip());
        }
    }

    static void writeFromMapping(Handle h, long offset, MappedBuffer src) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        checkBuffer(src, false);
        v.checkRange(offset, src.length(), true);
        if (src.length() == 0) {
            return;
        }
        refuseRecursiveFault(v, offset, src);
        ByteBuffer bounce = ByteBuffer.allocate(Math.min(src.length(), MAX_BOUNCE_BYTES));
        for (int done = 0; done < src.length(); done += bounce.limit()) {
            bounce.clear().limit(Math.min(src.length() - done, MAX_BOUNCE_BYTES));
            src.mapping().read(src.offset() + done, bounce);
            write(h, offset + done, bounce.flip());
        }
    }

    /** Everything that could fail the fault later is checked now, so a refusal changes nothing. */
    private static void checkBuffer(MappedBuffer b, boolean storesInto) {
        Mapping m = b.mapping();
        m.checkUsable();
        if (b.offset() + b.length() > m.length() || b.offset() + b.length() < 0) {
            throw new ErrnoException(Errno.EFAULT, "buffer " + b.offset() + "+" + b.length()
                    + " lies outside its mapping of " + m.length() + " bytes");
        }
        if (storesInto && !m.writable()) {
            throw new ErrnoException(Errno.EFAULT, "direct read into a read-only mapping");
        }
    }

    /**
     * EDEADLOCK when faulting the buffer would need ADD on pages this I/O holds in BLOCK: under
     * two-state any mapping of the same volume; under range, when the buffer's pages widened to
     * their fault-around windows overlap the I/O's pages.
     */
    private static void refuseRecursiveFault(Volume v, long offset, MappedBuffer b) {
        Mapping m = b.mapping();
        if (m.volume() != v) {
            return;
        }
        boolean deadlock;
        if (v.config().lockPolicy() == LockPolicy.TWO_STATE) {
            deadlock = true;
        } else {
            long fa = v.config().faultAroundPages();
            long bufStart = m.offset() + b.offset();
            long wFirst = Math.floorDiv(v.firstPage(bufStart), fa) * fa;
            long wEnd = Math.ceilDiv(v.endPage(bufStart, b.length()), fa) * fa;
            long ioFirst = v.firstPage(offset);
            long ioEnd = v.endPage(offset, b.length());
            deadlock = wFirst < ioEnd && ioFirst < wEnd;
        }
        if (deadlock) {
            v.lock().reportDeadlock(LockMode.BLOCK);
            throw new ErrnoException(Errno.EDEADLOCK, "direct I/O at " + offset + "+" + b.length()
                    + " uses a buffer mapped from the same volume " + v.name()
                    + " (" + v.config().lockPolicy().label() + " lock): faulting it in would wait on this I/O;"
                    + " retry as buffered I/O");
        }
    }
}
