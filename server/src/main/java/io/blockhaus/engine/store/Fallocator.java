package io.blockhaus.engine.store;

import java.util.List;

import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_COLLAPSE_RANGE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_INSERT_RANGE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_KEEP_SIZE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_PUNCH_HOLE;
import static io.blockhaus.engine.store.NativeIo.FALLOC_FL_ZERO_RANGE;

/**
 * fallocate(2) with fallbacks, remembering what the file system refused so a refused call is
 * made once, not on every request (after nbdkit's file plugin: {@code do_fallocate},
 * {@code file_zero} and its {@code can_*} flags).
 *
 * <p>A refusal is EOPNOTSUPP or ENOSYS; only those are remembered. EINVAL from collapse or
 * insert (whose arguments the store has already checked) can mean "not for this range" on file
 * systems with an allocation unit larger than the block size, so it takes the fallback for that
 * one call only. Every other errno is a real error and is thrown, never swallowed.
 *
 * <p>Arguments are the store's, already validated; ranges lie within the file.
 */
final class Fallocator {
    private final FileIo file;
    // Written racily on purpose: two threads may each try a refused call once; no harm.
    private volatile boolean canPunch = true;
    private volatile boolean canZeroRange = true;
    private volatile boolean canAllocate = true;
    private volatile boolean canCollapse = true;
    private volatile boolean canInsert = true;

    Fallocator(FileIo file) {
        this.file = file;
    }

    /**
     * Whether zeroing is a metadata operation here: a punch (or, keeping allocation, a zero
     * range or punch-then-allocate) that the file system has not refused so far.
     */
    boolean zeroesFast(boolean keepAllocated) {
        return keepAllocated ? canZeroRange || canPunch : canPunch || canZeroRange;
    }

    /** Makes the range read zero, deallocating where the file system can. */
    void punchHole(long offset, long length) throws NativeIoException {
        if (canPunch && tryFallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)) {
            return;
        }
        canPunch = false;
        if (tryZeroRange(offset, length)) {
            return;
        }
        // Only data needs zeroing; holes already read zero and stay holes.
        for (Extent e : dataExtents(offset, length)) {
            file.writeZeroes(e.offset(), e.length());
        }
    }

    /** Makes the range read zero and keeps it allocated. */
    void zeroRange(long offset, long length) throws NativeIoException {
        if (tryZeroRange(offset, length)) {
            return;
        }
        if (canPunch && tryFallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)) {
            allocate(offset, length); // best effort: the range reads zero already
            return;
        }
        canPunch = false;
        file.writeZeroes(offset, length);
    }

    /** Allocates the range; a file system that cannot is left alone, since allocation is a hint. */
    void allocate(long offset, long length) throws NativeIoException {
        if (canAllocate && !tryFallocate(0, offset, length)) {
            canAllocate = false;
        }
    }

    /** Removes the range and shifts the tail down; the caller truncates after a fallback. */
    boolean collapseNatively(long offset, long length) throws NativeIoException {
        if (!canCollapse) {
            return false;
        }
        try {
            file.io().fallocate(file.fd(), FALLOC_FL_COLLAPSE_RANGE, offset, length);
            return true;
        } catch (NativeIoException e) {
            return refusedShift(e, true);
        }
    }

    /** Inserts a hole, shifting the tail up; false when the caller must copy instead. */
    boolean insertNatively(long offset, long length) throws NativeIoException {
        if (!canInsert) {
            return false;
        }
        try {
            file.io().fallocate(file.fd(), FALLOC_FL_INSERT_RANGE, offset, length);
            return true;
        } catch (NativeIoException e) {
            return refusedShift(e, false);
        }
    }

    private boolean refusedShift(NativeIoException e, boolean collapse) throws NativeIoException {
        if (e.isUnsupported()) {
            if (collapse) {
                canCollapse = false;
            } else {
                canInsert = false;
            }
            return false;
        }
        if (e.errno() == NativeIoException.EINVAL) {
            return false; // this range only: see the class comment
        }
        throw e;
    }

    /**
     * Moves {@code length} bytes from {@code src} to {@code dst} (overlap allowed), keeping holes
     * as holes: data runs are copied, hole runs punched at the destination. Runs are visited in
     * the order that never overwrites a source byte before reading it, so the extent map taken
     * up front stays true for every run not yet moved.
     */
    void move(long src, long dst, long length) throws NativeIoException {
        List<Extent> runs = extents(src, length, false);
        boolean down = dst < src;
        for (int i = 0; i < runs.size(); i++) {
            Extent run = runs.get(down ? i : runs.size() - 1 - i);
            long to = dst + (run.offset() - src);
            if (run.hole()) {
                punchHole(to, run.length());
            } else {
                file.copy(run.offset(), to, run.length());
            }
        }
    }

    private boolean tryZeroRange(long offset, long length) throws NativeIoException {
        if (canZeroRange && tryFallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length)) {
            return true;
        }
        canZeroRange = false;
        return false;
    }

    /** True on success, false when refused; real errors are thrown. */
    private boolean tryFallocate(int mode, long offset, long length) throws NativeIoException {
        try {
            file.io().fallocate(file.fd(), mode, offset, length);
            return true;
        } catch (NativeIoException e) {
            if (e.isUnsupported()) {
                return false;
            }
            throw e;
        }
    }

    private List<Extent> dataExtents(long offset, long length) throws NativeIoException {
        return extents(offset, length, true);
    }

    private List<Extent> extents(long offset, long length, boolean dataOnly) throws NativeIoException {
        ExtentList out = new ExtentList(Integer.MAX_VALUE);
        try {
            file.scanExtents(offset, offset + length, out);
        } catch (NativeIoException e) {
            if (!e.isUnsupported() && e.errno() != NativeIoException.EINVAL) {
                throw e;
            }
            out = new ExtentList(1); // no SEEK_DATA: treat it all as data
            out.add(offset, length, false);
        }
        List<Extent> all = out.toList();
        return dataOnly ? all.stream().filter(e -> !e.hole()).toList() : all;
    }
}
