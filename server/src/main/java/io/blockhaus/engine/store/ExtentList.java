package io.blockhaus.engine.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the list {@link BackingStore#extents} returns: runs in order, neighbours of the same kind
 * merged, at most {@code max} of them. Shared so every store obeys the same shape rules.
 */
final class ExtentList {
    private final List<Extent> extents = new ArrayList<>();
    private final int max;

    ExtentList(int max) {
        this.max = max;
    }

    /**
     * Appends {@code [offset, offset+length)}, which must start where the last run ended.
     * Returns false, adding nothing, once a new run would exceed the limit: the caller stops.
     */
    boolean add(long offset, long length, boolean hole) {
        return add(offset, length, hole, hole);
    }

    /** As {@link #add(long, long, boolean)}, for allocated zeroes too ({@code zero} without {@code hole}). */
    boolean add(long offset, long length, boolean hole, boolean zero) {
        if (length <= 0) {
            return true;
        }
        if (!extents.isEmpty()) {
            Extent last = extents.getLast();
            if (last.end() != offset) {
                throw new IllegalStateException("gap before " + offset + " after " + last);
            }
            if (last.hole() == hole && last.zero() == zero) {
                extents.set(extents.size() - 1, new Extent(last.offset(), last.length() + length, hole, zero));
                return true;
            }
        }
        if (extents.size() == max) {
            return false;
        }
        extents.add(new Extent(offset, length, hole, zero));
        return true;
    }

    List<Extent> toList() {
        return List.copyOf(extents);
    }
}
