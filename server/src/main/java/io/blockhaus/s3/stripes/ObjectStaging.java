package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The objects of one volume written but not yet stored, and their uploads: the face the other
 * parts of {@link StripedStore} see. {@link StripedStore}'s essay argues the design; this class
 * wires four parts with one job each and decides when to upload:
 *
 * <ul>
 *   <li>{@link StagingTable}: the staged images and the index of stored objects, and the bytes
 *       they hold (given back to the {@link StagingRoom} there);</li>
 *   <li>{@link UploadQueue}: which entries wait, which are in flight (at most
 *       {@code maxParallelPuts}), retries with backoff, and the completion callback that hands
 *       each outcome to the table;</li>
 *   <li>{@link ObjectUpload}: the requests of one upload, run on the queue's threads;</li>
 *   <li>{@link FlushBarrier}: one flush, waiting until the changes staged before it are stored.</li>
 * </ul>
 *
 * <h2>One lock</h2>
 * This class owns the volume's staging lock and takes it for every call from outside; the
 * table's, the queue's and the flush's methods require it held (the table and the queue assert
 * it), and the queue takes it itself only to report a completion or offer a retry. One lock, not one per part, because the
 * invariants below tie the parts together: whether an entry wants an upload (table) and starting
 * it (queue) must be one step, and so must an outcome's effect on the table, the index and the
 * budgets. It is never held across a request or a wait for room: only across memory copies and
 * map operations. Room is taken outside it (taking may wait for uploads, whose completions need
 * it), which is why {@link #change} loops.
 *
 * <h2>Invariants, and why they hold</h2>
 * <ol>
 *   <li><b>Every change a client was told completed is in the table or in the store.</b> An entry
 *       leaves the table only in {@link StagingTable#ended} after a successful upload of its last
 *       change ({@code written == stored}) or at {@link #close} (after the engine's flush). A
 *       failed upload leaves the entry as dirty as it was ({@link StagedObject#endUpload}), and
 *       the queue offers it again after a backoff (EROFS excepted: fenced, never retried, and
 *       the next flush fails with it instead of losing the entry).</li>
 *   <li><b>At most {@code maxParallelPuts} uploads run, one per object at a time, each sending an
 *       array nobody changes.</b> The queue starts an upload only below its bound, and only if
 *       the table still {@linkplain StagingTable#wanted wants} it, which requires none in flight;
 *       test and {@link StagingTable#begin begin} happen in one hold of the lock. A change to an
 *       entry whose image is the array in flight copies it first ({@link StagedObject#needsArray}).</li>
 *   <li><b>Bytes held by entries are exactly the bytes taken from the budgets.</b> {@link #change}
 *       takes {@code objectSize} bytes (outside the lock) whenever the table says a new array is
 *       needed and keeps them only if, under the lock, it still is: the table makes exactly one
 *       array then; bytes taken and not used are given back. The table gives back what an
 *       entry stops holding: at a drop, at an upload's end (the array sent, if the image moved
 *       on; the whole entry, if it leaves), and at close.</li>
 *   <li><b>Read-after-write.</b> The index ({@code present}) changes only under the lock, in the
 *       same step as the table, so a reader that finds no entry and then looks at the index sees
 *       the store as of at least the last finished upload.</li>
 *   <li><b>An entry written around never serves the store's bytes from its image.</b> Its ranges
 *       say what was written; reads get the gaps from the store, which our own uploads of the
 *       entry do not change there (each sends the store's bytes in the gaps, fetched into the
 *       array being sent at its upload, {@link ObjectUpload}). A failed fetch is a failed upload
 *       (invariant 1): the entry stays, and the retry fetches again.</li>
 * </ol>
 *
 * <h2>When to upload (the policy)</h2>
 * A write that reaches its object's end asks for that object (a sequential writer finished it);
 * past half of the volume's bound every staged entry is offered (make room before a writer must
 * wait); a writer that finds no room runs {@link #uploadAll} through the budgets' relievers; a
 * flush offers every entry with changes. Nothing else starts an upload.
 */
final class ObjectStaging {
    private final String volume;
    private final int objectSize;
    private final StripedStoreOptions options;
    private final StagingRoom room;
    private final ThreadPoolExecutor threads; // ours: made here, shut down at close; the queue only hands them uploads
    private final Runnable reliever = this::uploadAll;

    private final ReentrantLock lock = new ReentrantLock();
    private final StagingTable table;
    private final UploadQueue<StagedObject> queue;
    private boolean closed;

    ObjectStaging(ObjectStore objects, DataKeys keys, int objectSize, VolumeOwnership ownership,
                  StripedStoreOptions options, LongSupplier size, ZeroRuns zeroes) {
        this.volume = keys.prefix();
        this.objectSize = objectSize;
        this.options = options;
        this.room = new StagingRoom(options, volume);
        this.table = new StagingTable(lock, objectSize, size, room, zeroes, new ObjectUpload(objects, keys, ownership, zeroes));
        this.threads = new ThreadPoolExecutor(options.maxParallelPuts(), options.maxParallelPuts(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("s3-put-" + volume, 0).factory());
        threads.allowCoreThreadTimeOut(true); // an idle volume holds no threads
        this.queue = new UploadQueue<>(lock, options.maxParallelPuts(), threads, UploadQueue.Delays.REAL, table);
        room.register(reliever);
    }

    /** The objects the listing at open found. */
    void load(Collection<Long> indices) {
        lock.lock();
        try {
            table.load(indices);
        } finally {
            lock.unlock();
        }
    }

    // ---- reads ---------------------------------------------------------------------------

    /**
     * If object {@code index} is staged, copies {@code dst.remaining()} bytes of its image from
     * {@code from} into dst and answers the ranges of the object among them that the image does
     * not hold (written around, never fetched: the caller reads them from the store), empty if
     * it holds them all. Null, dst untouched, if the object is not staged.
     */
    List<WrittenRanges.Range> readStaged(long index, int from, ByteBuffer dst) {
        lock.lock();
        try {
            return table.readStaged(index, from, dst);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the object exists in the store (as far as our index knows). */
    boolean stored(long index) {
        return table.stored(index);
    }

    /** Whether the object holds data now: staged with an image, or stored and not staged. */
    boolean hasData(long index) {
        lock.lock();
        try {
            return table.hasData(index);
        } finally {
            lock.unlock();
        }
    }

    /** The first object at or after {@code index} that is staged or stored, or -1. */
    long nextKnown(long index) {
        lock.lock();
        try {
            return table.nextKnown(index);
        } finally {
            lock.unlock();
        }
    }

    /** Every object at or after {@code first} that exists or is staged, in order. */
    List<Long> knownFrom(long first) {
        lock.lock();
        try {
            return table.knownFrom(first);
        } finally {
            lock.unlock();
        }
    }

    // ---- changes -------------------------------------------------------------------------

    /**
     * Applies {@code mutation}, which writes bytes {@code [from, from + length)}, to the image of
     * object {@code index}, staging it first as a new array of zeroes. If the object exists in the
     * store, the image records the ranges written and the rest is fetched only at its upload, and
     * only if writes have not covered it by then (deferred read-modify-write: a sequential writer
     * costs no GET). {@code upload} asks for the object to be uploaded now (a writer reached its
     * end); otherwise it waits for a flush or for memory pressure. No request is made here.
     */
    void change(long index, int from, int length, boolean upload, Consumer<byte[]> mutation) {
        long reserved = 0;
        try {
            while (true) {
                lock.lock();
                try {
                    checkOpen();
                    boolean needsArray = table.needsArray(index);
                    if (!needsArray || reserved >= objectSize) {
                        if (needsArray) {
                            reserved -= objectSize; // the new array holds them now (invariant 3)
                        }
                        StagedObject e = table.apply(index, from, length, mutation);
                        if (room.pastHalf()) {
                            offerAll(); // past half the bound: make room before a writer must wait
                        } else if (upload) {
                            queue.offer(e);
                        }
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                room.take(objectSize, lastFailure()); // outside the lock: taking may wait for uploads
                reserved += objectSize;
            }
        } finally {
            if (reserved > 0) {
                room.give(reserved);
            }
        }
    }

    /**
     * Makes the whole object {@code index} a hole: it is DELETEd at its upload (if it exists),
     * and reads as zeroes until then. No request, no memory if it neither exists nor is staged.
     */
    void drop(long index) {
        lock.lock();
        try {
            checkOpen();
            table.drop(index);
        } finally {
            lock.unlock();
        }
    }

    // ---- uploads -------------------------------------------------------------------------

    /** Starts uploading every staged change (memory pressure: run by the budgets' relievers). */
    void uploadAll() {
        lock.lock();
        try {
            if (!closed) {
                offerAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void offerAll() {
        table.entries().forEach(queue::offer);
    }

    /**
     * Returns once every change staged before the call is stored: EIO if the store stays
     * unreachable for {@code outageWait} (the changes stay staged and keep being retried), or at
     * once on a failure that waiting will not cure (EROFS from ownership, a refused request).
     */
    void flush() {
        lock.lock();
        try {
            checkOpen();
            new FlushBarrier(table, queue, volume, options.outageWait()).await(this::checkOpen);
        } finally {
            lock.unlock();
        }
    }

    private String lastFailure() {
        RuntimeException failure = queue.lastFailure();
        return failure == null ? "" : "; last failure: " + failure.getMessage();
    }

    // ---- state for tests and close -------------------------------------------------------

    /** Bytes staged now (images and copies in flight). */
    long stagedBytes() {
        return room.used();
    }

    int uploadsInFlight() {
        lock.lock();
        try {
            return queue.inFlight();
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.ESHUTDOWN, "s3 volume " + volume + " is closed");
        }
    }

    /** Stops the uploads and drops what is staged (the engine flushed before closing). Idempotent. */
    void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            table.clear();
            queue.close(); // also wakes flushes, which then fail ESHUTDOWN
        } finally {
            lock.unlock();
        }
        room.unregister(reliever);
        threads.shutdown();
    }
}
