package io.blockhaus.s3.stripes;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What one volume holds in memory of its objects: the staged ones ({@link StagedObject}, by
 * index) and the index of those the store holds ({@code present}), and the bytes the staged ones
 * hold, counted in the volume's {@link StagingRoom}. It makes no request and never waits: as the
 * {@link UploadQueue.Owner} of the volume's uploads it says which entry needs one, snapshots an
 * entry when its upload starts and applies the outcome when it ends.
 *
 * <p>Every method but {@link #stored} requires the caller to hold the volume's staging lock
 * ({@link ObjectStaging} takes it; asserted here): the table and the index change together
 * under it (invariant 4 of {@link ObjectStaging}). Bytes given back here never wait, so giving
 * under the lock is safe; taking is the caller's, outside the lock (invariant 3).
 */
final class StagingTable implements UploadQueue.Owner<StagedObject> {
    private final ReentrantLock lock;
    private final int objectSize;
    private final LongSupplier size;
    private final StagingRoom room;
    private final ZeroRuns zeroes;
    private final ObjectUpload upload;
    private final TreeMap<Long, StagedObject> table = new TreeMap<>();
    private final ConcurrentSkipListSet<Long> present = new ConcurrentSkipListSet<>();

    StagingTable(ReentrantLock lock, int objectSize, LongSupplier size, StagingRoom room, ZeroRuns zeroes,
                 ObjectUpload upload) {
        this.lock = lock;
        this.objectSize = objectSize;
        this.size = size;
        this.room = room;
        this.zeroes = zeroes;
        this.upload = upload;
    }

    private boolean locked() {
        return lock.isHeldByCurrentThread();
    }

    /** The objects the listing at open found. */
    void load(Collection<Long> indices) {
        assert locked();
        present.addAll(indices);
    }

    // ---- reads ---------------------------------------------------------------------------

    /** As {@link ObjectStaging#readStaged}. */
    List<WrittenRanges.Range> readStaged(long index, int from, ByteBuffer dst) {
        assert locked();
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
    }

    /** Whether the object exists in the store (as far as our index knows). Any thread, no lock. */
    boolean stored(long index) {
        return present.contains(index);
    }

    /** Whether the object holds data now: staged with an image, or stored and not staged. */
    boolean hasData(long index) {
        assert locked();
        StagedObject e = table.get(index);
        return e != null ? e.image != null : present.contains(index);
    }

    /** The first object at or after {@code index} that is staged or stored, or -1. */
    long nextKnown(long index) {
        assert locked();
        Long a = table.ceilingKey(index);
        Long b = present.ceiling(index);
        if (a == null && b == null) {
            return -1;
        }
        return a == null ? b : b == null ? a : Math.min(a, b);
    }

    /** Every object at or after {@code first} that exists or is staged, in order. */
    List<Long> knownFrom(long first) {
        assert locked();
        List<Long> out = new ArrayList<>(table.tailMap(first).keySet());
        for (long i : present.tailSet(first)) {
            if (!table.containsKey(i)) {
                out.add(i);
            }
        }
        out.sort(null);
        return out;
    }

    /** The staged entries, in index order (a live view: do not change the table while walking it). */
    Collection<StagedObject> entries() {
        assert locked();
        return table.values();
    }

    /** Whether {@code e} is still the entry of its object (not stored and dropped since, nor replaced). */
    boolean current(StagedObject e) {
        assert locked();
        return table.get(e.index) == e;
    }

    // ---- changes -------------------------------------------------------------------------

    /** Whether a change of object {@code index} needs a new array, i.e. {@code objectSize} bytes of room. */
    boolean needsArray(long index) {
        assert locked();
        StagedObject e = table.get(index);
        return e == null || e.needsArray();
    }

    /**
     * Applies {@code mutation}, which writes bytes {@code [from, from + length)}, to the image of
     * object {@code index}. If {@link #needsArray} says so, the caller has taken
     * {@code objectSize} bytes of room, which the new array now holds: a new object is zeroes
     * (written around if the store holds it), a dropped one is zeroes and whole, one being
     * uploaded is copied (its ranges stay: the copy's gaps are still the store's).
     */
    StagedObject apply(long index, int from, int length, Consumer<byte[]> mutation) {
        assert locked();
        StagedObject e = table.get(index);
        if (e == null) {
            e = new StagedObject(index, new byte[objectSize]);
            e.ranges = present.contains(index) ? new WrittenRanges() : null;
            table.put(index, e);
        } else if (e.image == null) {
            e.image = new byte[objectSize];
            e.ranges = null;
        } else if (e.image == e.uploading) {
            e.image = e.image.clone();
        }
        mutation.accept(e.image);
        if (e.ranges != null) {
            e.ranges.add(from, from + length);
            if (e.ranges.coversPrefix(objectLength(index))) {
                e.ranges = null; // written whole: the store's bytes are no longer needed
            }
        }
        e.written++;
        return e;
    }

    /**
     * Makes the whole object {@code index} a hole: DELETEd at its upload if it exists, zeroes to
     * readers until then, its image's bytes given back. Nothing if it neither exists nor is staged.
     */
    void drop(long index) {
        assert locked();
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
            room.give(before - e.bytes());
        }
        e.written++;
    }

    /** Forgets every entry and gives their bytes back (close: nothing is stored). */
    void clear() {
        assert locked();
        long held = 0;
        for (StagedObject e : table.values()) {
            held += e.bytes();
        }
        table.clear();
        room.give(held);
    }

    /** Bytes of object {@code index} inside the volume now. */
    private int objectLength(long index) {
        return (int) Math.max(0, Math.min(objectSize, size.getAsLong() - index * objectSize));
    }

    // ---- uploads (the queue's owner) ------------------------------------------------------

    @Override
    public boolean wanted(StagedObject e) {
        assert locked();
        return e.needsUpload() && current(e);
    }

    /** Snapshots what the upload sends: the array now (nobody changes it: copy on write), the length, whether it exists, the gaps. */
    @Override
    public Supplier<ObjectUpload.Outcome> begin(StagedObject e) {
        assert locked();
        int length = objectLength(e.index);
        boolean exists = present.contains(e.index);
        List<WrittenRanges.Range> gaps = e.ranges == null ? List.of() : e.ranges.gaps(0, length);
        byte[] body = e.beginUpload();
        long index = e.index;
        return () -> upload.send(index, body, length, exists, gaps);
    }

    @Override
    public void abandon(StagedObject e) {
        assert locked();
        e.abandonUpload();
    }

    /**
     * The index follows a success; an entry whose last change is stored leaves the table and
     * gives all its bytes back, any other gives back the array sent if it was a copy's original
     * (a failure leaves the entry as dirty as it was: invariant 1).
     */
    @Override
    public void ended(StagedObject e, ObjectUpload.Outcome outcome) {
        assert locked();
        long before = e.bytes();
        boolean succeeded = outcome.failure() == null;
        e.endUpload(succeeded);
        if (succeeded) {
            if (outcome.exists()) {
                present.add(e.index);
            } else {
                present.remove(e.index);
            }
            if (e.clean()) {
                table.remove(e.index);
                room.give(before);
                return;
            }
        }
        room.give(before - e.bytes());
    }
}
