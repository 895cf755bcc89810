package io.blockhaus.engine;

import io.blockhaus.engine.call.CallBudget;
import io.blockhaus.engine.store.Pipe;
import java.nio.ByteBuffer;

/**
 * Buffered read and write: the entry points {@link Handle} and {@link HandleFastPaths} call.
 * Each checks its call against the volume (open, writable, in range) and sends it the one way
 * that serves it:
 * <ul>
 *   <li>around the cache, when it is long enough to be a stream ({@link StreamBypass});</li>
 *   <li>through the cache, for a caller that may wait: {@link CachedRead}, {@link CachedWrite};</li>
 *   <li>through the cache right now or not at all, for a caller that must not block (an event
 *       loop): {@link NonBlockingRead}, {@link NonBlockingWrite}.</li>
 * </ul>
 * What every path copies between buffers and pages, and the page bookkeeping that goes with it,
 * is {@link PageCopy}'s.
 *
 * <p>Why the choice is made here and nowhere else: the bypass is a decision about the whole
 * call (its length, whether its first page is cached), taken before any page is touched, and a
 * gather write takes it once for the whole call and again for each of its buffers, exactly as
 * a single write of that buffer would.
 */
final class BufferedIo {
    /** Pages one call of {@link #readWithoutWaiting} may insert: bounds the work a non-blocking caller does. */
    static final int MAX_NONBLOCKING_FILL_PAGES = NonBlockingRead.MAX_FILL_PAGES;

    private static final ByteBuffer[] NO_BUFFERS = new ByteBuffer[0];

    private BufferedIo() {
    }

    /**
     * The read, its waits bounded by the caller's {@link CallBudget} throughout (see
     * {@link CachedRead}). A large read whose first page is cached is more likely a re-read than
     * a stream, so only one whose first page is absent goes around the cache.
     */
    static void read(Handle h, long offset, ByteBuffer dst) {
        CallBudget call = CallBudget.current();
        Volume v = h.volume();
        v.checkOpen();
        int len = dst.remaining();
        v.checkRange(offset, len, false);
        if (len == 0) {
            return;
        }
        if (bypasses(v, len) && v.cache().get(v.firstPage(offset)) == null
                && StreamBypass.read(v, offset, dst, call)) {
            h.readahead().completed(v.endPage(offset, len));
            return;
        }
        CachedRead.read(h, offset, dst, call);
    }

    /**
     * The read, if it can be done right now without waiting (see {@link NonBlockingRead}): a
     * request of at most {@link #MAX_NONBLOCKING_FILL_PAGES} pages may fill absent pages from
     * memory below us. Otherwise false with {@code dst}'s position unchanged; the caller then
     * calls {@link #read} where it may wait.
     */
    static boolean readWithoutWaiting(Handle h, long offset, ByteBuffer dst) {
        return NonBlockingRead.read(h, offset, dst);
    }

    /**
     * The buffered write (no FUA), if every page it touches is cached and free right now and
     * dirty memory is below the throttling mark (see {@link NonBlockingWrite}); otherwise false
     * with nothing written and {@code src} untouched.
     */
    static boolean writeIfCached(Handle h, long offset, ByteBuffer src) {
        return NonBlockingWrite.writeIfCached(h, offset, src);
    }

    static void write(Handle h, long offset, ByteBuffer src) {
        write(h, offset, src, CallBudget.current());
    }

    /**
     * The write, its waits bounded by {@code call} until its first change (a byte copied into a
     * page, or the bypass's store write): its last cancellation point is the last wait before
     * that, so a cancelled call never leaves it half-done. After it, {@link CallBudget#NONE}.
     */
    private static void write(Handle h, long offset, ByteBuffer src, CallBudget call) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        int len = src.remaining();
        v.checkRange(offset, len, true);
        if (len == 0) {
            return;
        }
        if (bypasses(v, len) && StreamBypass.write(v, offset, new ByteBuffer[] {src}, call)) {
            return;
        }
        CachedWrite.write(v, offset, src, call);
    }

    /**
     * The gather form: the buffers' bytes in turn, as one write. Each buffer is written as
     * {@link #write(Handle, long, ByteBuffer)} would (FUA is {@link Handle}'s, over the whole range).
     */
    static void write(Handle h, long offset, ByteBuffer[] srcs) {
        CallBudget call = CallBudget.current();
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        long len = remaining(srcs);
        v.checkRange(offset, len, true);
        if (bypasses(v, len) && StreamBypass.write(v, offset, srcs, call)) {
            return;
        }
        long pos = offset;
        for (ByteBuffer src : srcs) {
            int n = src.remaining();
            write(h, pos, src, call);
            pos += n;
            if (n > 0) {
                call = CallBudget.NONE; // the first buffer changed the volume: the rest follow
            }
        }
    }

    /** See {@link FastPaths#readAsFileRange}: only a stream (bypass-sized) over nothing dirty. */
    static FileRange readAsFileRange(Handle h, long offset, int len) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkRange(offset, len, false);
        if (len == 0 || !bypasses(v, len)) {
            return null;
        }
        FileRange range = StreamBypass.fileRange(v, offset, len, CallBudget.current());
        if (range != null) {
            h.readahead().completed(v.endPage(offset, len));
        }
        return range;
    }

    /** See {@link FastPaths#writeFromPipe}: only ever the streaming bypass, which splices. */
    static boolean writeFromPipe(Handle h, long offset, Pipe pipe, long len) {
        return writeFromPipe(h, offset, pipe, len, NO_BUFFERS);
    }

    /** {@link #writeFromPipe(Handle, long, Pipe, long)} of {@code piped} bytes from the pipe, then {@code rest}'s. */
    static boolean writeFromPipe(Handle h, long offset, Pipe pipe, long piped, ByteBuffer[] rest) {
        Volume v = h.volume();
        v.checkOpen();
        v.checkWritable();
        long len = piped + remaining(rest);
        v.checkRange(offset, len, true);
        return piped > 0 && bypasses(v, len) && v.store().writesFromPipes()
                && StreamBypass.writeFromPipe(v, offset, pipe, piped, rest, CallBudget.current());
    }

    static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    /** Whether a transfer this long goes around the cache (see {@link StreamBypass}). */
    private static boolean bypasses(Volume v, long len) {
        int threshold = v.config().bypassBytes();
        return threshold > 0 && len >= threshold;
    }
}
