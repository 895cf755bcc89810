package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The objects of one volume written but not yet stored, the index of the objects that exist in
 * the store, and the bounded pool that uploads them. {@link StripedStore}'s essay argues the
 * design; this class keeps its invariants:
 *
 * <ol>
 *   <li>Every change a client was told completed is in {@code table} or in the store: an entry
 *       leaves the table only after the upload of its last change succeeded ({@link #finished}).
 *       A failed upload leaves the entry as it was, to be retried.</li>
 *   <li>At most {@code maxParallelPuts} uploads run ({@code inFlight}), one per object at a
 *       time, each sending an array nobody changes while it is sent (copy on write,
 *       {@link StagedObject}).</li>
 *   <li>Bytes held by entries are exactly the bytes taken from the budgets: taken before an
 *       array is made (outside the lock: taking may wait), given back when an array is dropped.</li>
 *   <li>{@code present} is changed only under the lock, together with the table, so a reader
 *       that finds no entry and then looks at {@code present} sees the store as of at least the
 *       last finished upload (read-after-write).</li>
 *   <li>An entry with {@code ranges} is an object that exists in the store, written around: the
 *       image's bytes outside its ranges are never served (readers get them from the store,
 *       which our uploads of the entry do not change there: each sends the store's own bytes in
 *       the gaps) and are fetched into the array being sent at its upload. A failed fetch is a
 *       failed upload (invariant 1): the entry stays, and the retry fetches again.</li>
 * </ol>
 */
final class ObjectStaging {
    private final DataKeys keys;
    private final int objectSize;
    private final StripedStoreOptions options;
    private final LongSupplier size;
    private final StagingRoom room;
    private final ZeroRuns zeroes;
    private final ThreadPoolExecutor pool;
    private final ObjectUpload upload;
    private final Runnable reliever = this::uploadAll;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TreeMap<Long, StagedObject> table = new TreeMap<>();
    private final ConcurrentSkipListSet<Long> present = new ConcurrentSkipListSet<>();
    private final ArrayDeque<StagedObject> queue = new ArrayDeque<>();
    private int inFlight;
    private volatile RuntimeException failure; // also read, for messages, by writers waiting for room
    private int failuresInARow;
    private boolean closed;

    ObjectStaging(ObjectStore objects, DataKeys keys, int objectSize, VolumeOwnership ownership,
                  StripedStoreOptions options, LongSupplier size, ZeroRuns zeroes) {
        this.keys = keys;
        this.objectSize = objectSize;
        this.options = options;
        this.size = size;
        this.room = new StagingRoom(options, keys.prefix());
        this.zeroes = zeroes;
        this.upload = new ObjectUpload(objects, keys, ownership, zeroes);
        this.pool = new ThreadPoolExecutor(options.maxParallelPuts(), options.maxParallelPuts(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("s3-put-" + keys.prefix(), 0).factory());
        pool.allowCoreThreadTimeOut(true); // an idle volume holds no threads
        room.register(reliever);
    }

    /** The objects the listing at open found. */
    void load(Collection<Long> indices) {
        lock.lock();
        try {
            present.addAll(indices);
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
            StagedObject e = table.get(index);
            if (e == null) {
                return null;
            }
            int to = from + dst.remaining();
            if (e.image == null) {
                zeroes.fill(dst);
            } else {
                dst.put(e.image, from, dst.remaining());
            }
            return e.ranges == null ? List.of() : e.ranges.gaps(from, to);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the object exists in the store (as far as our index knows). */
    boolean stored(long index) {
        return present.contains(index);
    }

    /** Whether the object holds data now: staged with an image, or stored and not staged. */
    boolean hasData(long index) {
        lock.lock();
        try {
            StagedObject e = table.get(index);
            return e != null ? e.image != null : present.contains(index);
        } finally {
            lock.unlock();
        }
    }

    /** The first object at or after {@code index} that is staged or stored, or -1. */
    long nextKnown(long index) {
        lock.lock();
        try {
            Long a = table.ceilingKey(index);
            Long b = present.ceiling(index);
            if (a == null && b == null) {
                return -1;
            }
            return a == null ? b : b == null ? a : Math.min(a, b);
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
                    StagedObject e = table.get(index);
                    boolean needsArray = e == null || e.image == null || e.image == e.uploading;
                    if (!needsArray || reserved >= objectSize) {
                        if (e == null) {
                            e = new StagedObject(index, new byte[objectSize]);
                            e.ranges = present.contains(index) ? new WrittenRanges() : null;
                            table.put(index, e);
                            reserved -= objectSize;
                        } else if (e.image == null) {
                            e.image = new byte[objectSize]; // a dropped object is zeroes: the new image is whole
                            e.ranges = null;
                            reserved -= objectSize;
                        } else if (e.image == e.uploading) {
                            e.image = e.image.clone(); // the ranges stay: the copy's gaps are still the store's
                            reserved -= objectSize;
                        }
                        apply(e, from, length, mutation, upload);
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                reserve(objectSize); // outside the lock: taking may wait
                reserved += objectSize;
            }
        } finally {
            if (reserved > 0) {
                give(reserved);
            }
        }
    }

    private void apply(StagedObject e, int from, int length, Consumer<byte[]> mutation, boolean upload) {
        mutation.accept(e.image);
        if (e.ranges != null) {
            e.ranges.add(from, from + length);
            if (e.ranges.coversPrefix(objectLength(e.index))) {
                e.ranges = null; // written whole: the store's bytes are no longer needed
            }
        }
        e.written++;
        if (room.pastHalf()) {
            table.values().forEach(this::enqueue); // past half the bound: make room before a writer must wait
        } else if (upload) {
            enqueue(e);
        }
    }

    /** Bytes of object {@code index} inside the volume now. */
    private int objectLength(long index) {
        return (int) Math.max(0, Math.min(objectSize, size.getAsLong() - index * objectSize));
    }

    /**
     * Makes the whole object {@code index} a hole: it is DELETEd at its upload (if it exists),
     * and reads as zeroes until then. No request, no memory if it neither exists nor is staged.
     */
    void drop(long index) {
        lock.lock();
        try {
            checkOpen();
            StagedObject e = table.get(index);
            if (e == null) {
                if (!present.contains(index)) {
                    return;
                }
                e = new StagedObject(index, null);
                table.put(index, e);
            } else {
                long before = e.bytes();
                e.image = null;
                e.ranges = null;
                give(before - e.bytes());
            }
            e.written++;
        } finally {
            lock.unlock();
        }
    }

    /** Every object at or after {@code first} that exists or is staged, in order. */
    List<Long> knownFrom(long first) {
        lock.lock();
        try {
            List<Long> out = new ArrayList<>(table.tailMap(first).keySet());
            for (long i : present.tailSet(first)) {
                if (!table.containsKey(i)) {
                    out.add(i);
                }
            }
            out.sort(null);
            return out;
        } finally {
            lock.unlock();
        }
    }

    private void reserve(long bytes) {
        room.take(bytes, lastFailure());
    }

    private void give(long bytes) {
        room.give(bytes);
    }

    // ---- uploads -------------------------------------------------------------------------

    /** Starts uploading every staged change (memory pressure: run by the budgets' relievers). */
    void uploadAll() {
        lock.lock();
        try {
            if (!closed) {
                table.values().forEach(this::enqueue);
            }
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(StagedObject e) {
        if (e.needsUpload() && !e.queued) {
            e.queued = true;
            queue.add(e);
        }
        pump();
    }

    private void pump() {
        while (inFlight < options.maxParallelPuts() && !queue.isEmpty()) {
            StagedObject e = queue.poll();
            e.queued = false;
            if (e.needsUpload() && table.get(e.index) == e) {
                start(e);
            }
        }
    }

    private void start(StagedObject e) {
        long base = e.index * objectSize;
        int length = (int) Math.max(0, Math.min(objectSize, size.getAsLong() - base));
        byte[] body = e.image;
        boolean exists = present.contains(e.index);
        List<WrittenRanges.Range> gaps = e.ranges == null ? List.of() : e.ranges.gaps(0, length);
        e.inFlight = true;
        e.uploading = body;
        e.uploadingGeneration = e.written;
        inFlight++;
        try {
            pool.execute(() -> finished(e, upload.send(e.index, body, length, exists, gaps)));
        } catch (RejectedExecutionException closing) {
            e.inFlight = false;
            e.uploading = null;
            inFlight--;
        }
    }

    private void finished(StagedObject e, ObjectUpload.Outcome outcome) {
        lock.lock();
        try {
            inFlight--;
            if (closed) {
                return; // close() gave every entry's bytes back already
            }
            long before = e.bytes();
            boolean unchangedSinceStart = e.image != null && e.image == e.uploading;
            e.inFlight = false;
            e.uploading = null;
            RuntimeException failed = outcome.failure();
            if (failed == null) {
                if (unchangedSinceStart) {
                    e.ranges = null; // the upload filled the gaps of this very array: it is whole now
                }
                e.stored = e.uploadingGeneration;
                if (outcome.exists()) {
                    present.add(e.index);
                } else {
                    present.remove(e.index);
                }
                failure = null;
                failuresInARow = 0;
                if (e.clean()) {
                    table.remove(e.index);
                    give(before);
                } else {
                    give(before - e.bytes());
                    enqueue(e);
                }
            } else {
                give(before - e.bytes());
                failure = failed;
                failuresInARow++;
                if (!isErrno(failed, Errno.EROFS)) {
                    long delay = Retrying.uploadBackoffNanos(failuresInARow);
                    CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS).execute(() -> retry(e));
                }
            }
            pump();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void retry(StagedObject e) {
        lock.lock();
        try {
            if (!closed && table.get(e.index) == e) {
                enqueue(e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once every change staged before the call is stored: EIO if the store stays
     * unreachable for {@code outageWait} (the changes stay staged and keep being retried), or at
     * once on a failure that waiting will not cure (EROFS from ownership, a refused request).
     */
    void flush() {
        long deadline = System.nanoTime() + options.outageWait().toNanos();
        lock.lock();
        try {
            checkOpen();
            record Target(StagedObject entry, long generation) {
            }
            List<Target> targets = new ArrayList<>();
            for (StagedObject e : table.values()) {
                if (e.written > e.stored) {
                    targets.add(new Target(e, e.written));
                    enqueue(e);
                }
            }
            while (true) {
                checkOpen();
                targets.removeIf(t -> table.get(t.entry().index) != t.entry() || t.entry().stored >= t.generation());
                if (targets.isEmpty()) {
                    return;
                }
                if (failure instanceof ErrnoException errno) {
                    throw new ErrnoException(errno.errno(), "flush of " + keys.prefix() + ": " + errno.getMessage(), errno);
                }
                if (failure instanceof ObjectStoreException store && !store.retryable()) {
                    throw new ErrnoException(Errno.EIO, "flush of " + keys.prefix() + ": " + store.getMessage(), store);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ErrnoException(Errno.EIO, "flush of " + keys.prefix() + ": " + targets.size()
                            + " objects not stored after " + options.outageWait().toMillis() + " ms" + lastFailure()
                            + "; they stay staged and are retried");
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ErrnoException(Errno.EIO, "flush of " + keys.prefix() + " interrupted", ie);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private String lastFailure() {
        return failure == null ? "" : "; last failure: " + failure.getMessage();
    }

    private static boolean isErrno(RuntimeException e, Errno errno) {
        return e instanceof ErrnoException x && x.errno() == errno;
    }

    // ---- state for tests and close -------------------------------------------------------

    /** Bytes staged now (images and copies in flight). */
    long stagedBytes() {
        return room.used();
    }

    int uploadsInFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.ESHUTDOWN, "s3 volume " + keys.prefix() + " is closed");
        }
    }

    /** Stops the pool and drops what is staged (the engine flushed before closing). Idempotent. */
    void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            long held = 0;
            for (StagedObject e : table.values()) {
                held += e.bytes();
            }
            table.clear();
            queue.clear();
            give(held);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        room.unregister(reliever);
        pool.shutdown();
    }
}
