package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.StoreArguments;
import io.blockhaus.engine.store.Extent;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectInfo;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BackingStore} striped over fixed-size objects of an {@link ObjectStore}.
 *
 * <h2>Layout</h2>
 * Object {@code i} holds bytes {@code [i*objectSize, (i+1)*objectSize)} under
 * {@code root + "data/" + 16 hex digits} (docs/s3.md). A missing object is a hole; the last
 * object is stored only up to the volume's end, so an object may be short, and bytes past a
 * stored object's end read as zeroes. Invariant: no byte at or past {@link #size()} is non-zero
 * anywhere (store or staging), so growing the volume never shows old data; truncate keeps it by
 * trimming the partial last object, open repairs it after a crash between resize and trim.
 *
 * <h2>Reads</h2>
 * Per object: staged image if there is one (reads see what was written, stored or not), except
 * the parts of an image written around and not fetched yet, which are read as if it were not
 * staged; else, if the index says the object exists, one ranged GET of exactly the bytes asked
 * for; else zeroes, with no request at all. The index ({@link StagingTable}'s {@code present}) is
 * loaded once at open by listing {@code data/}, and kept by our own PUTs and DELETEs: we are the only
 * writer (ownership), so it is exact. Nothing is cached here for reading: the engine's page cache
 * above holds hot pages, and a second cache would only double the memory.
 *
 * <h2>Writes: staging and writeback</h2>
 * The page cache absorbs small writes; what reaches us is writeback, runs of dirty pages. A
 * write copies into a staged in-memory image of each object it touches, and makes no request.
 * A partial write of an object that exists does not fetch it: the image records which byte
 * ranges were written (deferred read-modify-write). At its upload, an image whose writes cover
 * the object (up to the volume's end for the last one) is PUT as it is: a sequential writer's
 * objects cost one PUT each and no GET (fetching first made every object a 4 MiB GET plus the
 * PUT, and halved sequential overwrites on RGW). Otherwise the upload first fetches what the
 * writes missed, one ranged GET per gap, into the gaps of the array it sends, then PUTs the
 * merged object; the image is whole from then on. Images are uploaded by a pool of at most {@code maxParallelPuts} PUTs: when a
 * write reaches an object's end (a sequential writer finished it), when more than half of
 * {@code maxBufferedBytes} is staged, when a writer finds no room, and at every flush. An image
 * that is all zeroes is DELETEd (or, never stored, forgotten), never PUT: holes stay holes. The
 * test runs after the gaps are fetched, so zeroes written over part of an object delete it only
 * if the rest of it is zero too.
 * A PUT sends an array nobody changes: a write to an object in flight copies the image first.
 *
 * <h2>Bounds</h2>
 * Staged bytes (images, and copies of images in flight) never exceed {@code maxBufferedBytes}
 * per volume, nor the optional server-wide {@link StagingBudget}: bytes are taken before an
 * image is made. A writer that finds no room starts every upload it can and waits, at most
 * {@code outageWait}, then fails EIO, changing nothing. The fetch of a written-around object
 * needs no room: it reads into the gaps of the array being sent, already counted. Worst case per
 * server, formula in docs/s3.md.
 *
 * <h2>Flush, failures, outages</h2>
 * {@link #force()} uploads everything staged and waits until each change made before it is
 * stored, then asks ownership to {@link VolumeOwnership#confirmDurable() confirm} that nobody
 * took the volume meanwhile; only then does it return. A failed PUT or DELETE never drops data:
 * the image stays staged and is retried in the background with backoff (20 ms doubling to 2 s);
 * so does a failed fetch of an image's gaps, which is part of its upload. While the store is
 * unreachable, flushes, reads and writers needing room fail with
 * EIO after waiting at most {@code outageWait}; writes that fit in staging still succeed (the
 * page cache above holds the same data anyway). When the store comes back, the retries land the
 * data and the next flush succeeds. Refusals that waiting will not cure fail a flush at once:
 * EROFS from ownership (fenced: never retried), or a non-retryable answer (EIO).
 *
 * <h2>Ownership and errors</h2>
 * {@link VolumeOwnership#beforeWrite()} runs before every PUT and DELETE; a read-only ownership
 * makes write, punch, zero and truncate fail EROFS at once. Truncate records the new size with
 * {@link VolumeOwnership#resize} first, so a crash after it leaves objects past the end, which
 * open deletes, never a size too small for what is stored. Every failure is an
 * {@link ErrnoException}: EIO, EROFS, EINVAL, ENOTSUP (collapse and insert: an object store
 * cannot shift data without rewriting every object after the offset), ESHUTDOWN after close.
 *
 * <h2>Close</h2>
 * {@link #close()} stops the pool and drops what is staged without storing it: the engine flushes
 * a volume before closing its store, and a close that waited for an unreachable store would hang
 * shutdown. It closes neither the object store nor the ownership: the wiring owns them.
 *
 * <h2>Locking</h2>
 * One lock per volume, owned by {@link ObjectStaging}, guards the staged objects, the index and
 * the uploads; never held across a request or a wait for memory. {@code size} is volatile: the
 * engine's lock keeps truncate away from I/O at or past the new end (the {@link BackingStore} contract).
 *
 * <h2>Parts</h2>
 * This class opens the volume (listing, tail repair), checks every call (closed, range,
 * ownership), keeps the size and hands the work to one part per job: {@link StripedReads} (staged
 * image, ranged GET or zeroes, per object), {@link StripedChanges} (writes, clears and trims as
 * per-object changes), {@link StripedExtents} (the allocation map) and {@link ObjectStaging}
 * (the staged objects, their uploads and flush, in parts its essay names).
 */
public final class StripedStore implements BackingStore {
    private final ObjectStore objects;
    private final DataKeys keys;
    private final int objectSize;
    private final int pageSize;
    private final VolumeOwnership ownership;
    private final StripedStoreOptions options;
    private final ObjectStaging staging;
    private final StripedReads reads;
    private final StripedChanges changes;
    private final StripedExtents extentMap;
    private volatile long size;
    private volatile boolean closed;

    /**
     * Lists the volume's objects (EIO if the store stays unreachable for {@code outageWait}).
     *
     * @param objects   the bucket
     * @param root      key prefix of this volume, ending in '/': data objects live under {@code root + "data/"}
     * @param geometry  from the manifest
     * @param ownership may this server write; where new sizes are recorded
     */
    public StripedStore(ObjectStore objects, String root, VolumeGeometry geometry, VolumeOwnership ownership,
                        StripedStoreOptions options) {
        this.objects = objects;
        this.keys = DataKeys.under(root);
        this.objectSize = geometry.objectSize();
        this.pageSize = geometry.pageSize();
        this.ownership = ownership;
        this.options = options;
        this.size = geometry.size();
        ZeroRuns zeroes = new ZeroRuns();
        this.staging = new ObjectStaging(objects, keys, objectSize, ownership, options, () -> size, zeroes);
        this.reads = new StripedReads(objects, keys, objectSize, options, staging, zeroes, () -> size, this::checkOpen);
        this.changes = new StripedChanges(objectSize, staging, () -> size);
        this.extentMap = new StripedExtents(objectSize, staging, () -> size);
        try {
            open();
        } catch (RuntimeException e) {
            staging.close(); // unregisters from a shared budget
            throw e;
        }
    }

    /** Loads the index; drops objects past the end and trims the last one (a crash in a truncate). */
    private void open() {
        List<ObjectInfo> listed = Retrying.call("listing " + keys.prefix(), options.outageWait(), this::listAll);
        List<Long> indices = new ArrayList<>();
        long count = Math.ceilDiv(size, (long) objectSize);
        boolean repairTail = false;
        for (ObjectInfo o : listed) {
            long i = keys.index(o.key());
            if (i >= 0) {
                indices.add(i);
                repairTail |= i >= count || (i == count - 1 && o.size() > size - i * objectSize);
            }
        }
        staging.load(indices);
        if (repairTail && !ownership.readOnly()) {
            changes.trimFrom(size);
        }
    }

    private List<ObjectInfo> listAll() {
        List<ObjectInfo> all = new ArrayList<>();
        String after = null;
        for (List<ObjectInfo> page; !(page = objects.list(keys.prefix(), after, 1000)).isEmpty(); ) {
            all.addAll(page);
            after = page.getLast().key();
        }
        return all;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockAlignment() {
        return pageSize;
    }

    // ---- reads ---------------------------------------------------------------------------

    @Override
    public void read(long offset, ByteBuffer dst) {
        reads.read(offset, dst);
    }

    /** One ranged GET per object the range touches, not one per buffer ({@link StripedReads}). */
    @Override
    public void read(long offset, ByteBuffer[] dsts) {
        reads.read(offset, dsts);
    }

    // ---- writes --------------------------------------------------------------------------

    @Override
    public void write(long offset, ByteBuffer src) {
        write(offset, new ByteBuffer[] {src});
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        long total = 0;
        for (ByteBuffer src : srcs) {
            total += src.remaining();
        }
        checkOpen();
        checkRange("write", offset, total);
        checkWritable();
        changes.write(offset, srcs);
    }

    @Override
    public void punchHole(long offset, long length) {
        clear("punch hole", offset, length);
    }

    /** As {@link #punchHole}: an object store has no allocated zeroes, only objects and holes. */
    @Override
    public void zeroRange(long offset, long length) {
        clear("zero range", offset, length);
    }

    private void clear(String what, long offset, long length) {
        checkOpen();
        checkRange(what, offset, length);
        checkWritable();
        changes.clear(offset, offset + length);
    }

    /** Checks the range; nothing to allocate in an object store. */
    @Override
    public void allocate(long offset, long length) {
        checkOpen();
        checkRange("allocate", offset, length);
    }

    @Override
    public void collapseRange(long offset, long length) {
        checkOpen();
        throw new ErrnoException(Errno.ENOTSUP, "collapse range on an s3 volume: objects cannot be shifted");
    }

    @Override
    public void insertRange(long offset, long length) {
        checkOpen();
        throw new ErrnoException(Errno.ENOTSUP, "insert range on an s3 volume: objects cannot be shifted");
    }

    @Override
    public void truncate(long newSize) {
        checkOpen();
        if (newSize < 0) {
            throw einval("truncate to negative size " + newSize);
        }
        checkWritable();
        ownership.resize(newSize);
        long old = size;
        size = newSize; // first, so that the trimmed last object is uploaded at its new length
        if (newSize < old) {
            changes.trimFrom(newSize);
        }
    }

    @Override
    public void force() {
        checkOpen();
        staging.flush();
        ownership.confirmDurable();
    }

    // ---- extents -------------------------------------------------------------------------

    @Override
    public List<Extent> extents(long offset, long length, int maxExtents) {
        StoreArguments.checkExtentsQuery(offset, length, maxExtents);
        checkOpen();
        return extentMap.extents(offset, length, maxExtents);
    }

    /** Punch and zero delete whole objects without sending bytes, but partial ones cost a fetch and a PUT. */
    @Override
    public boolean zeroesFast(boolean keepAllocated) {
        return false;
    }

    // ---- for tests -----------------------------------------------------------------------

    /** Bytes staged now (written, not yet stored). */
    long stagedBytes() {
        return staging.stagedBytes();
    }

    int uploadsInFlight() {
        return staging.uploadsInFlight();
    }

    @Override
    public void close() {
        closed = true;
        staging.close();
    }

    // ---- checks --------------------------------------------------------------------------

    private void checkOpen() {
        if (closed) {
            throw new ErrnoException(Errno.ESHUTDOWN, "s3 volume " + keys.prefix() + " is closed");
        }
    }

    private void checkWritable() {
        if (ownership.readOnly()) {
            throw new ErrnoException(Errno.EROFS, "s3 volume " + keys.prefix() + " is read-only here");
        }
    }

    private void checkRange(String what, long offset, long length) {
        StoreArguments.checkWithin(what, offset, length, size);
    }

    private static ErrnoException einval(String message) {
        return StoreArguments.einval(message);
    }
}
