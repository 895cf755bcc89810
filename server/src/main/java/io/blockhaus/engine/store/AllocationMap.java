package io.blockhaus.engine.store;

import java.util.List;

/**
 * Answers {@link BackingStore#extents} for a {@link SparseFileStore}: which parts of a range of
 * the file are data and which are holes, clipped to the size, from SEEK_DATA / SEEK_HOLE (the
 * walk is {@link FileIo#scanExtents}'s).
 *
 * <p>Why a class of its own: the map is advice (NBD's block status, the copy fallback's hole
 * preservation), so where the file system cannot tell (EINVAL, or the calls unsupported) the
 * answer is "all data", which is always safe; any other failure is a real error and reported.
 */
final class AllocationMap {
    private final OpenFile f;

    AllocationMap(OpenFile f) {
        this.f = f;
    }

    List<Extent> extents(long offset, long length, int maxExtents) {
        StoreArguments.checkExtentsQuery(offset, length, maxExtents);
        f.enter();
        try {
            long end = Math.min(offset + length, f.size());
            ExtentList out = new ExtentList(maxExtents);
            if (offset >= end) {
                return List.of();
            }
            try {
                f.file().scanExtents(offset, end, out);
                return out.toList();
            } catch (NativeIoException e) {
                if (!e.isUnsupported() && e.errno() != NativeIoException.EINVAL) {
                    throw e.toErrnoException("extents of " + f.path());
                }
                return List.of(new Extent(offset, end - offset, false)); // cannot tell: all data
            }
        } finally {
            f.exit();
        }
    }
}
