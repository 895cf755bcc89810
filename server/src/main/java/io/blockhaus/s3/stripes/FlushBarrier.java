package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One flush: the changes staged before it (each entry with changes, and its generation then),
 * offered for upload at once, and the wait until the store holds every one of them. Later
 * changes are not waited for: a writer that never stops cannot keep a flush from returning.
 *
 * <p>Made and awaited with the volume's staging lock held (the table and the queue assert it);
 * the wait releases it, so uploads can complete, and each completion wakes it to look again.
 *
 * <p>How it ends: when every target is stored (its entry is gone, or its {@code stored}
 * generation reached the one recorded); at once with the last upload's failure if waiting will
 * not cure it (an {@link ErrnoException}, such as EROFS from ownership, keeps its errno; a
 * non-retryable store answer is EIO); EIO after {@code outageWait} otherwise. The entries stay
 * staged and retried whatever the flush answers (invariant 1 of {@link ObjectStaging}).
 */
final class FlushBarrier {
    private record Target(StagedObject entry, long generation) {
    }

    private final StagingTable table;
    private final UploadQueue<StagedObject> queue;
    private final String volume;
    private final Duration outageWait;
    private final long deadline;
    private final List<Target> targets = new ArrayList<>();

    /** Records the changes staged now and offers each for upload. Lock held. */
    FlushBarrier(StagingTable table, UploadQueue<StagedObject> queue, String volume, Duration outageWait) {
        this.table = table;
        this.queue = queue;
        this.volume = volume;
        this.outageWait = outageWait;
        this.deadline = System.nanoTime() + outageWait.toNanos();
        for (StagedObject e : table.entries()) {
            if (e.written > e.stored) {
                targets.add(new Target(e, e.written));
                queue.offer(e);
            }
        }
    }

    /** Returns once every target is stored; throws as the class comment says. {@code checkOpen} runs at each wake-up. Lock held. */
    void await(Runnable checkOpen) {
        while (true) {
            checkOpen.run();
            targets.removeIf(t -> !table.current(t.entry()) || t.entry().stored >= t.generation());
            if (targets.isEmpty()) {
                return;
            }
            RuntimeException failure = queue.lastFailure();
            if (failure instanceof ErrnoException errno) {
                throw new ErrnoException(errno.errno(), "flush of " + volume + ": " + errno.getMessage(), errno);
            }
            if (failure instanceof ObjectStoreException store && !store.retryable()) {
                throw new ErrnoException(Errno.EIO, "flush of " + volume + ": " + store.getMessage(), store);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ErrnoException(Errno.EIO, "flush of " + volume + ": " + targets.size()
                        + " objects not stored after " + outageWait.toMillis() + " ms"
                        + (failure == null ? "" : "; last failure: " + failure.getMessage())
                        + "; they stay staged and are retried");
            }
            try {
                queue.awaitCompletion(left);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new ErrnoException(Errno.EIO, "flush of " + volume + " interrupted", ie);
            }
        }
    }
}
