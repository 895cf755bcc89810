package io.blockhaus.engine;

import java.nio.ByteBuffer;

/**
 * The shortcuts a front end may take beside DESIGN.md's operation table, reached through
 * {@link Handle#fastPaths()}: the same buffered and direct reads and writes, done without
 * waiting (on a thread that must not block, an event loop) or without copying through the JVM
 * (a kernel pipe in, a file range out). Each either does exactly what the table's operation
 * would, or declines (false, null) having done nothing, and the caller then calls the table's
 * operation on {@link Handle} where it may wait.
 *
 * <p>Why apart from {@link Handle}: these trade guarantees only some front ends can live with.
 * A file range is read by the kernel when it is sent, after the operation returned, so a write
 * running meanwhile may show through: sound only where concurrent requests have no order
 * (NBD's). The no-wait paths refuse mapped pages and never complete recalls. None of them
 * follows a call's deadline (they never wait, or take the volume's own bounds). So the API every
 * front end shares is {@link Handle}, the table; the gRPC front end, whose calls are ordered
 * and carry deadlines, uses only that, and these stay the NBD front end's.
 */
public sealed interface FastPaths permits HandleFastPaths {

    /**
     * The buffered read if it can be done without waiting: from cached pages, and for a few
     * absent ones from data the kernel holds in memory (never from a disk). False, with
     * {@code dst}'s position unchanged, otherwise; the caller then uses {@link Handle#read} where
     * it may block.
     */
    boolean readWithoutWaiting(long offset, ByteBuffer dst);

    /**
     * The buffered write (without FUA) if it can be done in the cache without waiting or I/O;
     * false, with nothing written, otherwise (mapped pages included: their recall would wait).
     */
    boolean writeIfCached(long offset, ByteBuffer src);

    /**
     * The write of {@code length} bytes waiting in {@code pipe} (a front end spliced them there
     * from its socket), spliced on into the store without passing through the JVM, when it can
     * be: a store that splices and, for a buffered write ({@code direct} false), a transfer the
     * streaming bypass takes (see {@link StreamBypass}). Otherwise false, with nothing written
     * and the pipe untouched: the caller then drains the pipe and calls {@link Handle#write} or
     * {@link Handle#writeDirect}. Errors as for those; after one, the pipe's contents are
     * unspecified.
     */
    boolean writeFromPipe(long offset, PayloadPipe pipe, long length, boolean direct, boolean fua);

    /**
     * {@link #writeFromPipe(long, PayloadPipe, long, boolean, boolean)} of a payload that only
     * partly went through the pipe: {@code pipe}'s bytes, then {@code rest}'s (read the usual way,
     * because they had not arrived when the pipe was filled). The pipe's part is spliced and the
     * rest written right after it, under the same BLOCK, so only the rest passes through the JVM
     * (issue 11's 1 MiB write row: a third of its WRITEs arrived this way on a fast loop, and
     * copying the pipe's part out first made each such WRITE two copies of the megabyte; see
     * docs/benchmarks/rows-2026-12-06.md). Buffered writes only; false, with nothing written and
     * the pipe untouched, where the whole-pipe call would be, and for a direct write. If the
     * rest's write fails after the splice, the range holds part of the new bytes, as after any
     * failed write.
     */
    default boolean writeFromPipe(long offset, PayloadPipe pipe, ByteBuffer[] rest, boolean direct, boolean fua) {
        return false;
    }

    /**
     * The buffered read of the range as a range of the volume's file, for a front end to send
     * with sendfile(2) instead of copying: when the read is a stream (at least the bypass size),
     * the store is a file, and no page of the range is dirty, so the file holds every byte
     * written before the call (clean cached pages hold the same bytes as the file), and those
     * bytes are in the kernel's page cache, so sending them waits for no disk (see
     * {@link FileRange}). The kernel reads them when it sends them, so a write running meanwhile
     * may show through: only for front ends whose concurrent requests have no order. Null
     * otherwise (the caller then reads with {@link Handle#read}). Errors as for {@code read}.
     */
    FileRange readAsFileRange(long offset, int length);

    /**
     * Copies a range {@link #readAsFileRange} or {@link #readDirectAsFileRange} handed out into
     * {@code dst} (exactly {@code range.length()} bytes remaining) now, with one positional read of
     * the volume's file: for a front end that would rather send a buffer than the file (on
     * loopback a warm buffer is the cheaper send). May wait for the disk if the kernel evicted
     * the range since, so not on a thread that must not block. Bytes past the file's end read as
     * zeroes; errors as for {@link Handle#read}. Through the store, not {@code range.channel()}:
     * a FileChannel closes when the thread reading it is interrupted, and this one is the
     * volume's.
     */
    void readFileRange(FileRange range, ByteBuffer dst);

    /**
     * The direct read of the range as a range of the volume's file: BLOCK on the range and its
     * dirty pages written back, as {@link Handle#readDirect(long, ByteBuffer)} does, and then,
     * instead of reading the file, the range of it, which now holds every byte written before
     * the call. The kernel reads them when it sends them, after BLOCK is released, so a write
     * running meanwhile may show through (see {@link #readAsFileRange}). Null where the store is
     * not a file, or the range is not in the kernel's page cache after the write-back (the
     * caller then reads). Errors as for {@code readDirect}.
     */
    FileRange readDirectAsFileRange(long offset, int length);

    /**
     * Whether zeroing a range is cheap on this volume's store (a hole punch, or with
     * {@code keepAllocated} a real zero-range), rather than writing zeroes: what a front end
     * that offers "fast zero only" asks before it zeroes.
     */
    boolean zeroesFast(boolean keepAllocated);
}
