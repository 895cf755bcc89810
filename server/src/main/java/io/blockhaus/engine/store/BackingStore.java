package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Where a volume's bytes live. The page cache sits above it; nothing above the cache calls it
 * directly except direct I/O, block status and fallocate, always through the engine.
 *
 * <p>Contract, shared by every implementation (see {@code BackingStoreContractTest}):
 * <ul>
 *   <li>Offsets and lengths are bytes. Callers (the engine) have already validated ranges
 *       against {@link #size()}; implementations still reject negative or overflowing input with
 *       {@code EINVAL} and change nothing. Write, punch, zero and allocate ranges must lie within
 *       the size; a zero length is a no-op once these checks pass.</li>
 *   <li>Reads of holes, and of any byte at or past {@link #size()}, return zeroes; a read always
 *       fills every remaining byte of its buffers.</li>
 *   <li>Writes never change {@link #size()}: a write past the end is {@code EINVAL}.</li>
 *   <li>Concurrent reads and writes of any ranges are safe; {@link #collapseRange},
 *       {@link #insertRange} and {@link #truncate} may run concurrently with reads and writes
 *       of other ranges below their offset (the engine's lock keeps the rest away).</li>
 *   <li>Failures are {@link io.blockhaus.engine.errno.ErrnoException}s: EIO, ENOSPC, EINVAL,
 *       ENOTSUP (only where no fallback exists), EFBIG (a size the file system cannot hold).
 *       Nothing is ever swallowed. Calls after {@link #close()} fail with ESHUTDOWN.</li>
 *   <li>{@link #force()} returns only once every completed write is durable.</li>
 * </ul>
 */
public interface BackingStore extends AutoCloseable {

    /** Current size in bytes. */
    long size();

    /** Fills {@code dst} (position to limit) from {@code offset}; holes and bytes past the end read as zero. */
    void read(long offset, ByteBuffer dst);

    /**
     * Fills the whole of {@code dst}, a native segment (one page of the cache), from
     * {@code offset}, as {@link #read(long, ByteBuffer)} does. The page cache fills a one-page
     * miss this way: a store that reads into native memory anyway (a file) overrides it and
     * saves the buffer view and the segments made of it per miss; any other store gets its own
     * buffer read, so a store that wraps another (fault injection, read-only) sees every read.
     */
    default void read(long offset, MemorySegment dst) {
        read(offset, dst.asByteBuffer());
    }

    /** Scatter read: fills each buffer in turn, starting at {@code offset}. */
    default void read(long offset, ByteBuffer[] dsts) {
        long pos = offset;
        for (ByteBuffer dst : dsts) {
            int n = dst.remaining();
            read(pos, dst);
            pos += n;
        }
    }

    /**
     * The scatter read of {@link #read(long, ByteBuffer[])} if it can be done without waiting for
     * a disk (the data is in memory: the kernel's page cache for a file); false otherwise, and
     * then the buffers' contents and positions are unspecified. It never blocks on I/O, so a
     * thread that must not block may call it. Stores that cannot tell answer false.
     */
    default boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
        return false;
    }

    /**
     * {@link #readIfInMemory(long, ByteBuffer[])} of one native segment (one page of the cache):
     * the event loop's one-page miss, without the arrays and buffer views of the scatter form. A
     * store that reads into native memory anyway overrides it; any other store gets its own
     * scatter form, so a store that wraps another sees every read.
     */
    default boolean readIfInMemory(long offset, MemorySegment dst) {
        return readIfInMemory(offset, new ByteBuffer[] {dst.asByteBuffer()});
    }

    /**
     * Whether every byte of the range is in memory right now (for a file, in the kernel's page
     * cache), so that reading it, or sending it from {@link #channelForSending()}, would not wait
     * for a disk. Asks without reading and without waiting, so a thread that must not block may
     * call it; the answer may be stale a moment later (the kernel may evict). Stores that cannot
     * tell answer false.
     */
    default boolean isInMemory(long offset, long length) {
        return false;
    }

    /** Writes {@code src} (position to limit) at {@code offset}; must lie within {@link #size()}. */
    void write(long offset, ByteBuffer src);

    /** Gather write: writes each buffer in turn, starting at {@code offset}, ideally in one system call. */
    default void write(long offset, ByteBuffer[] srcs) {
        long pos = offset;
        for (ByteBuffer src : srcs) {
            int n = src.remaining();
            write(pos, src);
            pos += n;
        }
    }

    /**
     * Whether {@link #writeFrom} works here: a writable store on a file descriptor that splice(2)
     * can write to. Asked once per connection by the front ends.
     */
    default boolean writesFromPipes() {
        return false;
    }

    /**
     * Writes {@code length} bytes taken out of {@code pipe} at {@code offset}, with no copy
     * through the JVM; the range must lie within {@link #size()}. Returns false, with the pipe
     * untouched, when this store cannot (then {@link #writesFromPipes()} answers false from now
     * on); on a failure thrown after bytes moved, the pipe's remaining bytes are unspecified.
     */
    default boolean writeFrom(long offset, Pipe pipe, long length) {
        return false;
    }

    /**
     * A read-only channel on the store's own file for the kernel to send from (sendfile), or null
     * where there is no file or it cannot be had. Opened once, closed by {@link #close()}.
     */
    default java.nio.channels.FileChannel channelForSending() {
        return null;
    }

    /** Deallocates the range; it reads back as zeroes. Partial blocks at the edges are zeroed. */
    void punchHole(long offset, long length);

    /**
     * Makes the range read as zeroes and stay allocated (no hole) where allocation means something:
     * a file. A memory store frees the range instead, and reports it as a hole.
     */
    void zeroRange(long offset, long length);

    /** Allocates the range without changing its contents. A hint: stores that cannot, do nothing. */
    void allocate(long offset, long length);

    /**
     * Removes the range and shifts what follows down; the size shrinks by {@code length}.
     * Both numbers must be multiples of {@link #blockAlignment()} and the range must end
     * before the end of the store (EINVAL otherwise), as fallocate(2) requires.
     */
    void collapseRange(long offset, long length);

    /**
     * Inserts a hole of {@code length} at {@code offset}, shifting what follows up; the size grows.
     * Same alignment rules as {@link #collapseRange}; {@code offset} must be below the size.
     */
    void insertRange(long offset, long length);

    /** Sets the size; new bytes read as zeroes. */
    void truncate(long newSize);

    /** Makes every completed write durable (fsync / fdatasync). */
    void force();

    /**
     * The allocation map of {@code [offset, offset+length)}, clipped to the size, as consecutive
     * extents in order with no gaps, adjacent extents of the same kind merged; at most
     * {@code maxExtents} of them (the last one then ends early). Stores that cannot tell report
     * one data extent.
     */
    List<Extent> extents(long offset, long length, int maxExtents);

    /**
     * The alignment collapse and insert need: the file system block size for files, the page size
     * for memory. Always a power of two.
     */
    int blockAlignment();

    /**
     * Whether {@link #punchHole} (or, with {@code keepAllocated}, {@link #zeroRange}) is cheap,
     * i.e. does not write zeroes byte by byte. NBD's FAST_ZERO asks exactly this.
     */
    default boolean zeroesFast(boolean keepAllocated) {
        return false;
    }

    /** Releases the file or memory. Idempotent. */
    @Override
    void close();
}
