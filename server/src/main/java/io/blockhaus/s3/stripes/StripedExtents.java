package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.Extent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The allocation map of a {@link StripedStore}: an object that holds data (staged with an image,
 * or stored and not staged) is data, any other is a hole, runs of the same kind merged.
 *
 * <p>Why it skips: a volume of terabytes is mostly objects that were never written, so a run of
 * holes jumps to the next object the staging table or the index knows of, and a query over an
 * empty volume costs two lookups, not one per object.
 */
final class StripedExtents {
    private final int objectSize;
    private final ObjectStaging staging;
    private final LongSupplier size;

    StripedExtents(int objectSize, ObjectStaging staging, LongSupplier size) {
        this.objectSize = objectSize;
        this.staging = staging;
        this.size = size;
    }

    /** The extents of {@code [offset, offset+length)} clipped to the size; the query is already checked. */
    List<Extent> extents(long offset, long length, int maxExtents) {
        long end = Math.min(offset + length, size.getAsLong());
        List<Extent> out = new ArrayList<>();
        for (long pos = offset; pos < end; ) {
            long index = pos / objectSize;
            long stop = Math.min((index + 1) * objectSize, end);
            boolean hole = !staging.hasData(index);
            if (hole) {
                long next = staging.nextKnown(index + 1);
                stop = next < 0 ? end : Math.min(end, Math.max(stop, next * objectSize));
            }
            if (!add(out, pos, stop - pos, hole, maxExtents)) {
                break;
            }
            pos = stop;
        }
        return List.copyOf(out);
    }

    /** Appends a run, merging it into the last one of the same kind; false once the limit is reached. */
    private static boolean add(List<Extent> out, long offset, long length, boolean hole, int max) {
        if (!out.isEmpty() && out.getLast().hole() == hole) {
            Extent last = out.removeLast();
            out.add(new Extent(last.offset(), last.length() + length, hole));
            return true;
        }
        if (out.size() == max) {
            return false;
        }
        out.add(new Extent(offset, length, hole));
        return true;
    }
}
