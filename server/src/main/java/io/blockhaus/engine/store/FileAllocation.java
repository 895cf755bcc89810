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
        inPlace("punch hole", offset, length, fallocator::punchHole);
    }

    void zeroRange(long offset, long length) {
        inPlace("zero range", offset, length, fallocator::zeroRange);
    }

    void allocate(long offset, long length) {
        inPlace("allocate", offset, length, fallocator::allocate);
    }

    /** See {@link BackingStore#zeroesFast}: whatever the file system has not refused so far. */
    boolean zeroesFast(boolean keepAllocated) {
        return fallocator.zeroesFast(keepAllocated);
    }

    /** One of {@link Fallocator}'s in-place operations on a range already checked. */
    @FunctionalInterface
    private interface RangeOperation {
        void run(long offset, long length) throws NativeIoException;
    }

    /**
     * Runs {@code op} on a writable store, inside the size ({@code what} names it in the EINVAL
     * and in the failure's message); a zero length is a no-op once the checks pass.
     */
    private void inPlace(String what, long offset, long length, RangeOperation op) {
        f.enterForChange();
        try {
            f.checkRange(what, offset, length);
            if (length > 0) {
                op.run(offset, length);
            }
        } catch (NativeIoException e) {
            throw e.toErrnoException(what + " " + offset + "+" + length + " of " + f.path());
        } finally {
            f.exit();
        }
    }
}
