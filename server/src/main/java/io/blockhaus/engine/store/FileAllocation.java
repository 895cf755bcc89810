package io.blockhaus.engine.store;

/**
 * The in-place space operations of a {@link SparseFileStore}: punch a hole, zero a range keeping
 * it allocated, allocate a range. None changes the file's size; each runs through
 * {@link Fallocator}'s remembered fallbacks, inside the size and under the descriptor's
 * lifecycle, with its failure reported with the range and the file.
 *
 * <p>Why apart from {@link FileResizing}: these change what a range of the file holds (or how it
 * is stored), never where the rest of the file is, so they need no lock beyond the lifecycle
 * and run alongside reads, writes and each other.
 */
final class FileAllocation {
    private final OpenFile f;
    private final Fallocator fallocator;

    FileAllocation(OpenFile f, Fallocator fallocator) {
        this.f = f;
        this.fallocator = fallocator;
    }

    void punchHole(long offset, long length) {
        f.enterForChange();
        try {
            f.checkRange("punch hole", offset, length);
            if (length > 0) {
                fallocator.punchHole(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("punch hole " + offset + "+" + length + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    void zeroRange(long offset, long length) {
        f.enterForChange();
        try {
            f.checkRange("zero range", offset, length);
            if (length > 0) {
                fallocator.zeroRange(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("zero range " + offset + "+" + length + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    void allocate(long offset, long length) {
        f.enterForChange();
        try {
            f.checkRange("allocate", offset, length);
            if (length > 0) {
                fallocator.allocate(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException("allocate " + offset + "+" + length + " of " + f.path());
        } finally {
            f.exit();
        }
    }

    /** See {@link BackingStore#zeroesFast}: whatever the file system has not refused so far. */
    boolean zeroesFast(boolean keepAllocated) {
        return fallocator.zeroesFast(keepAllocated);
    }
}
