package io.blockhaus.engine.cache;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One volume's writeback failures as a sequence, and a cursor per handle into it: Linux's
 * {@code errseq_t} (lib/errseq.c, Documentation/filesystems/vfs.rst "Handling errors during
 * writeback"), so that every handle learns of a failure once, at its next flush or FUA write.
 *
 * <h2>Why a sequence and not a flag</h2>
 * A writeback failure happens on whatever thread wrote the pages back (the background writer, a
 * throttled writer, an allocator reclaiming), not on the thread of the client whose data it was.
 * A flag cleared by the first reader would tell one handle and swallow the error for every other;
 * a flag never cleared would fail every later flush forever. So the volume keeps a counter of
 * failures and the errno of the latest, and each handle a cursor: the counter value it last
 * reported. A flush or FUA write reports the latest errno if the counter moved past the cursor,
 * and moves the cursor up to it. Each handle thus sees a given failure once; two handles both see it.
 *
 * <h2>Invariants (as errseq_t's)</h2>
 * <ul>
 *   <li>The counter only moves when a failure follows one that some handle has seen
 *       ({@link State#seen}). Failures nobody has looked at yet collapse into one (the errno is the
 *       latest), so a disk failing every retry does not make a counter race past its readers, and
 *       a handle never reports the same failure twice.</li>
 *   <li>A new handle starts at the current counter if the latest failure was seen, and one before
 *       it if not: a failure that no handle has reported yet is reported to the next one opened
 *       (Linux since 4.16, "errseq: Always report a writeback error once"). An NBD client that
 *       wrote, disconnected before its flush and reconnects still hears that the write failed.
 *       A failure some handle already reported is not reported to handles opened after it.</li>
 *   <li>Pages whose writeback failed stay dirty here (unlike Linux, which drops them): the
 *       report means "writeback failed since you last flushed", and a later flush that writes
 *       them succeeds once the disk does. A flush whose own writeback succeeded still reports a
 *       failure its handle has not seen: the client learns that the disk failed, as on Linux.</li>
 * </ul>
 * Lock-free: one {@link AtomicReference} for the volume, one {@link AtomicLong} per cursor.
 */
public final class WritebackErrors {
    /**
     * @param count  failures recorded so far, collapsing unseen ones; 0: never failed
     * @param errno  the latest failure's errno (null when count is 0)
     * @param seen   whether some handle has reported the latest failure
     * @param latest the latest failure itself, for its message
     */
    private record State(long count, Errno errno, boolean seen, ErrnoException latest) {
    }

    private final String volume;
    private final AtomicReference<State> state = new AtomicReference<>(new State(0, null, false, null));

    WritebackErrors(String volume) {
        this.volume = volume;
    }

    /** Records a failed writeback of this volume (its pages stay dirty). */
    void record(ErrnoException failure) {
        state.updateAndGet(s -> new State(s.seen || s.count == 0 ? s.count + 1 : s.count, failure.errno(), false,
                failure));
    }

    /** The latest failure recorded, or null if writeback never failed. */
    public ErrnoException latest() {
        return state.get().latest;
    }

    /** Failures recorded so far (unseen ones collapsed into one): for tests and gauges. */
    public long count() {
        return state.get().count;
    }

    /** A cursor for a new handle (errseq_sample): it will see the latest failure if nobody has yet. */
    public Cursor open() {
        State s = state.get();
        return new Cursor(s.seen || s.count == 0 ? s.count : s.count - 1);
    }

    /** One handle's position in the sequence. Safe for concurrent use (a handle runs many requests). */
    public final class Cursor {
        private final AtomicLong reported;

        private Cursor(long start) {
            this.reported = new AtomicLong(start);
        }

        /**
         * The failure recorded since this cursor last reported one, or null; either way the cursor
         * moves up to the latest failure (errseq_check_and_advance). Of two concurrent calls that
         * see the same failure, one returns it.
         */
        public ErrnoException checkAndAdvance() {
            while (true) {
                State s = state.get();
                long r = reported.get();
                if (s.count <= r) {
                    return null;
                }
                // Seen first, then reported: once the flag is set, a later failure moves the
                // counter past this cursor, so none can collapse into the one reported here.
                if (!s.seen && !state.compareAndSet(s, new State(s.count, s.errno, true, s.latest))) {
                    continue; // a failure was recorded meanwhile: report the latest
                }
                if (!reported.compareAndSet(r, s.count)) {
                    return null; // a concurrent call on this handle reports it
                }
                return new ErrnoException(s.errno, "writeback of volume " + volume
                        + " failed since this handle last flushed (its pages stay dirty and are retried): "
                        + s.latest.getMessage(), s.latest);
            }
        }
    }
}
