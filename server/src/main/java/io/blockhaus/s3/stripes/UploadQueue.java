package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The uploads of one volume: which items wait, how many are in flight (at most {@code limit}),
 * and what happens when one ends. It knows nothing of objects or bytes: its {@link Owner} says
 * whether an item still wants an upload, snapshots it when it starts, and hears how it ended.
 *
 * <h2>Lock</h2>
 * The queue shares its owner's lock (the volume's staging lock, {@link ObjectStaging}), because
 * what "wants an upload" means is the owner's state, which must not change between the test and
 * the start. {@link #offer}, {@link #inFlight}, {@link #awaitCompletion} and {@link #close}
 * require the caller to hold it (asserted); the queue takes it itself only on its own paths: an
 * upload's completion (on an upload thread) and a retry (on the delay's thread). Every
 * {@link Owner} method is called with it held. The requests themselves run with no lock held.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Bounded: at most {@code limit} uploads are in flight; an item waits at most once (offering
 *       it again while it waits changes nothing), so the waiting are at most the owner's items.
 *       Items are told apart by {@code equals}, which should be identity.</li>
 *   <li>Waiting items start in the order offered, and only if {@link Owner#wanted} still holds
 *       when their turn comes (the owner's state may have moved on meanwhile).</li>
 *   <li>Completion callback: every upload {@link Owner#begin begun} is answered exactly once,
 *       either by {@link Owner#abandon} (the threads refused it: nothing was sent) or by
 *       {@link Owner#ended} with its outcome, unless the queue was closed before it ended: then
 *       never (closing hands the owner's items back as they are; a late answer would find them
 *       gone). After {@code ended} the item is offered again if the owner still wants it.</li>
 *   <li>Failures: a failed upload is offered again after a backoff that doubles with the failures
 *       in a row (20 ms to 2 s, {@link Retrying#uploadBackoffNanos}); any success resets it and
 *       clears {@link #lastFailure}. EROFS (ownership lost: waiting will not cure it) is not
 *       retried; the item stays the owner's, and a flush reports the failure.</li>
 *   <li>After {@link #close} nothing starts and no retry is offered.</li>
 * </ol>
 *
 * @param <T> an item to upload; the owner's, never changed here
 */
final class UploadQueue<T> {
    /** What the queue asks of the items' owner, always with the lock held. */
    interface Owner<T> {
        /** Whether the item needs an upload now (and none is in flight). */
        boolean wanted(T item);

        /** Marks the item's upload as started and answers the requests, run on an upload thread with no lock held. */
        Supplier<ObjectUpload.Outcome> begin(T item);

        /** The upload begun was never run: undo {@link #begin}. */
        void abandon(T item);

        /** The upload begun has ended with {@code outcome}. */
        void ended(T item, ObjectUpload.Outcome outcome);
    }

    /** Runs a task after a delay: a retry's backoff (tests run it by hand). */
    interface Delays {
        void after(long nanos, Runnable task);

        Delays REAL = (nanos, task) -> CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(task);
    }

    private final ReentrantLock lock;
    private final Condition completed;
    private final int limit;
    private final Executor threads;
    private final Delays delays;
    private final Owner<T> owner;
    private final LinkedHashSet<T> waiting = new LinkedHashSet<>();
    private int inFlight;
    private int failuresInARow;
    private volatile RuntimeException failure; // also read, for messages, by writers waiting for room
    private boolean closed;

    /**
     * @param threads runs each upload; it must not run it on the caller's thread (which holds the
     *                lock and may be walking the owner's items)
     */
    UploadQueue(ReentrantLock lock, int limit, Executor threads, Delays delays, Owner<T> owner) {
        if (limit < 1) {
            throw new IllegalArgumentException("upload limit " + limit + " < 1");
        }
        this.lock = lock;
        this.completed = lock.newCondition();
        this.limit = limit;
        this.threads = threads;
        this.delays = delays;
        this.owner = owner;
    }

    /** Queues {@code item} if the owner wants it uploaded and it is not waiting yet, then starts what the bound allows. Lock held. */
    void offer(T item) {
        assert lock.isHeldByCurrentThread();
        if (!closed && owner.wanted(item)) {
            waiting.add(item);
        }
        startWhatFits();
    }

    private void startWhatFits() {
        Iterator<T> next = waiting.iterator();
        while (inFlight < limit && next.hasNext()) {
            T item = next.next();
            next.remove();
            if (owner.wanted(item)) {
                start(item);
            }
        }
    }

    private void start(T item) {
        Supplier<ObjectUpload.Outcome> requests = owner.begin(item);
        inFlight++;
        try {
            threads.execute(() -> completed(item, requests.get()));
        } catch (RejectedExecutionException closing) {
            inFlight--;
            owner.abandon(item);
        }
    }

    private void completed(T item, ObjectUpload.Outcome outcome) {
        lock.lock();
        try {
            inFlight--;
            if (closed) {
                return; // the owner took its items back at close
            }
            RuntimeException failed = outcome.failure();
            if (failed == null) {
                failure = null;
                failuresInARow = 0;
            } else {
                failure = failed;
                failuresInARow++;
            }
            owner.ended(item, outcome);
            if (failed == null) {
                offer(item); // changed during the upload: it goes again
            } else if (!(failed instanceof ErrnoException e && e.errno() == Errno.EROFS)) {
                delays.after(Retrying.uploadBackoffNanos(failuresInARow), () -> retry(item));
            }
            startWhatFits();
            completed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void retry(T item) {
        lock.lock();
        try {
            offer(item);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits, releasing the lock meanwhile, until an upload ends, the queue closes, or
     * {@code nanos} pass; answers the nanoseconds left (as {@link Condition#awaitNanos}). Lock held.
     */
    long awaitCompletion(long nanos) throws InterruptedException {
        assert lock.isHeldByCurrentThread();
        return completed.awaitNanos(nanos);
    }

    /** Uploads running now. Lock held. */
    int inFlight() {
        assert lock.isHeldByCurrentThread();
        return inFlight;
    }

    /** The last upload's failure, null once one succeeds. Any thread. */
    RuntimeException lastFailure() {
        return failure;
    }

    /** Forgets the waiting, starts nothing more and wakes every waiter. Lock held; idempotent. */
    void close() {
        assert lock.isHeldByCurrentThread();
        closed = true;
        waiting.clear();
        completed.signalAll();
    }
}
