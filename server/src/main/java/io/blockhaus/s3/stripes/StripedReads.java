package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.StoreArguments;
import io.blockhaus.s3.objects.ObjectStore;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Reads a byte range of a {@link StripedStore}, object by object: the staged image where there
 * is one (reads see what was written, stored or not) except the parts of an image written around
 * and not fetched yet, which come from the store; else one ranged GET of exactly the bytes asked
 * for if the index says the object exists; else zeroes, with no request at all. Bytes past the
 * volume's end, or past a short object's end, read as zeroes.
 *
 * <p>Why apart from the store: reading is the one job that talks to the object store on the
 * caller's thread (writes only stage), with its own retry over an outage, and the one place the
 * engine's scatter reads are regrouped by object, so a 1 MiB read is one GET per object, not one
 * per page.
 */
final class StripedReads {
    private final ObjectStore objects;
    private final DataKeys keys;
    private final int objectSize;
    private final StripedStoreOptions options;
    private final ObjectStaging staging;
    private final ZeroRuns zeroes;
    private final LongSupplier size;
    /** The store's ESHUTDOWN check, made by every read (each chunk of a scatter read too). */
    private final Runnable checkOpen;

    StripedReads(ObjectStore objects, DataKeys keys, int objectSize, StripedStoreOptions options,
                 ObjectStaging staging, ZeroRuns zeroes, LongSupplier size, Runnable checkOpen) {
        this.objects = objects;
        this.keys = keys;
        this.objectSize = objectSize;
        this.options = options;
        this.staging = staging;
        this.zeroes = zeroes;
        this.size = size;
        this.checkOpen = checkOpen;
    }

    void read(long offset, ByteBuffer dst) {
        int n = dst.remaining();
        StoreArguments.checkReadInto(offset, dst);
        checkOpen.run();
        long end = Math.min(offset + n, size.getAsLong());
        for (long pos = offset; pos < end; ) {
            long index = pos / objectSize;
            int in = (int) (pos - index * objectSize);
            int k = (int) Math.min(objectSize - in, end - pos);
            ByteBuffer part = dst.slice(dst.position(), k);
            List<WrittenRanges.Range> gaps = staging.readStaged(index, in, part);
            if (gaps == null) {
                readStored(index, in, part);
            } else {
                for (WrittenRanges.Range g : gaps) { // an image written around: the rest is the store's
                    readStored(index, g.from(), part.slice(g.from() - in, g.to() - g.from()));
                }
            }
            dst.position(dst.position() + k);
            pos += k;
        }
        zeroes.fill(dst);
    }

    /**
     * One ranged GET per object the range touches, not one per buffer: the engine fills a run of
     * pages (a miss, a readahead window) with one scatter read of page-sized buffers, and the
     * default of one {@link #read(long, ByteBuffer)} per buffer made a 1 MiB read 256 round trips.
     * Each object's part goes through a bounce buffer of at most one object, then into the pages.
     */
    void read(long offset, ByteBuffer[] dsts) {
        if (dsts.length == 1) {
            read(offset, dsts[0]);
            return;
        }
        long total = 0;
        for (ByteBuffer d : dsts) {
            if (d.isReadOnly()) {
                throw StoreArguments.einval("read into a read-only buffer");
            }
            total += d.remaining();
        }
        StoreArguments.checkReadRange(offset, total);
        int next = 0;
        for (long pos = offset; total > 0; ) {
            int chunk = (int) Math.min(total, objectSize - pos % objectSize);
            ByteBuffer bounce = ByteBuffer.allocate(chunk);
            read(pos, bounce);
            bounce.flip();
            while (bounce.hasRemaining()) {
                ByteBuffer d = dsts[next];
                int k = Math.min(d.remaining(), bounce.remaining());
                d.put(d.position(), bounce, bounce.position(), k);
                d.position(d.position() + k);
                bounce.position(bounce.position() + k);
                if (!d.hasRemaining()) {
                    next++;
                }
            }
            pos += chunk;
            total -= chunk;
        }
    }

    /** Bytes of object {@code index} from {@code in} into {@code part} from the store, zeroes where it has none. */
    private void readStored(long index, int in, ByteBuffer part) {
        if (staging.stored(index)) {
            readInto(keys.key(index), in, part);
        }
        zeroes.fill(part); // past a short object's end, or an object deleted meanwhile
    }

    private void readInto(String key, int in, ByteBuffer part) {
        // getRange reports how far it got through the buffer's position; a retry restarts from scratch
        ByteBuffer attempt = part.duplicate();
        Retrying.call("reading " + key, options.outageWait(), () -> {
            attempt.position(part.position());
            return objects.getRange(key, in, attempt);
        });
        part.position(attempt.position());
    }
}
