package io.blockhaus.engine.store;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The operations of a {@link SparseFileStore} that change its size: truncate, collapse a range
 * (the tail moves down) and insert one (the tail moves up), natively where the file system
 * can, else by a hole-preserving copy ({@link Fallocator#move}).
 *
 * <p>Why they are serialized ({@code resize}): each reads the size, changes the file and sets
 * the size; two at once would each start from a length the other is changing. They still run
 * alongside reads and writes, which {@link BackingStore}'s contract allows because the engine's
 * pagecache lock keeps those below the operation's offset.
 *
 * <p>The copy is not atomic: a failure half-way (ENOSPC, EIO) leaves the tail partly moved, and
 * is reported. After any failure the size is read back from the file ({@link #resyncSize()}), so
 * {@link BackingStore#size()} keeps telling the truth about what is there.
 */
final class FileResizing {
    private final OpenFile f;
    private final Fallocator fallocator;
    private final ReentrantLock resize = new ReentrantLock();

    FileResizing(OpenFile f, Fallocator fallocator) {
        this.f = f;
        this.fallocator = fallocator;
    }

    void collapseRange(long offset, long length) {
        f.enterForChange();
        resize.lock();
        try {
            long oldSize = f.size();
            f.checkAligned("collapse range", offset, length);
            if (offset >= oldSize - length) { // also catches length > oldSize, without overflow
                throw StoreArguments.einval("collapse range " + offset + "+" + length
                        + " must end before the end (" + oldSize + ")");
            }
            if (length == 0) {
                return;
            }
            if (!fallocator.collapseNatively(offset, length)) {
                fallocator.move(offset + length, offset, oldSize - offset - length);
                f.io().ftruncate(f.fd(), oldSize - length);
            }
            f.setSize(oldSize - length);
        } catch (NativeIoException e) {
            resyncSize();
            throw e.toErrnoException("collapse range " + offset + "+" + length + " of " + f.path());
        } finally {
            resize.unlock();
            f.exit();
        }
    }

    void insertRange(long offset, long length) {
        f.enterForChange();
        resize.lock();
        try {
            long oldSize = f.size();
            f.checkAligned("insert range", offset, length);
            if (offset >= oldSize || length > Long.MAX_VALUE - oldSize) {
                throw StoreArguments.einval("insert range " + offset + "+" + length
                        + " must start below the end (" + oldSize + ")");
            }
            if (length == 0) {
                return;
            }
            if (!fallocator.insertNatively(offset, length)) {
                f.io().ftruncate(f.fd(), oldSize + length);
                fallocator.move(offset, offset + length, oldSize - offset);
                fallocator.punchHole(offset, length);
            }
            f.setSize(oldSize + length);
        } catch (NativeIoException e) {
            resyncSize();
            throw e.toErrnoException("insert range " + offset + "+" + length + " of " + f.path());
        } finally {
            resize.unlock();
            f.exit();
        }
    }

    void truncate(long newSize) {
        f.enterForChange();
        resize.lock();
        try {
            if (newSize < 0) {
                throw StoreArguments.einval("truncate to negative size " + newSize);
            }
            f.io().ftruncate(f.fd(), newSize);
            f.setSize(newSize);
        } catch (NativeIoException e) {
            throw e.toErrnoException("truncate " + f.path() + " to " + newSize);
        } finally {
            resize.unlock();
            f.exit();
        }
    }

    /** After a failed resize the file's length is the truth; keep the size telling it. */
    private void resyncSize() {
        try {
            f.setSize(f.io().lseek(f.fd(), 0, NativeIo.SEEK_END));
        } catch (NativeIoException ignored) {
            // The original failure is being thrown; the old size is the best guess left.
        }
    }
}
