package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

/**
 * Makes a {@link SparseFileStore}'s completed writes durable: fsync, and after one fsync has
 * failed, EIO from every later call.
 *
 * <p>Why the failure is sticky: when writeback fails, Linux reports it to one fsync and may then
 * drop the dirty pages (or mark them clean), so a later fsync can succeed with the data gone. No
 * later fsync of this descriptor can vouch for the writes before the failure, so none is allowed
 * to say it does (the PostgreSQL "fsyncgate" lesson).
 *
 * <p>fsync, not fdatasync: punch, collapse and insert change the extent map, which fdatasync
 * need not flush. A read-only store has written nothing, so there is nothing to force (and a
 * read-only file system need not accept the call).
 */
final class FileSync {
    private final OpenFile f;
    /** Once fsync fails the kernel may have dropped the dirty pages: no later fsync can vouch for them. */
    private volatile NativeIoException syncFailure;

    FileSync(OpenFile f) {
        this.f = f;
    }

    void force() {
        f.enter();
        try {
            if (f.readOnly()) {
                return;
            }
            NativeIoException earlier = syncFailure;
            if (earlier != null) {
                throw new ErrnoException(Errno.EIO,
                        "an earlier fsync of " + f.path() + " failed; writes before it may be lost", earlier);
            }
            f.io().fsync(f.fd());
        } catch (NativeIoException e) {
            syncFailure = e;
            throw e.toErrnoException("fsync " + f.path());
        } finally {
            f.exit();
        }
    }
}
