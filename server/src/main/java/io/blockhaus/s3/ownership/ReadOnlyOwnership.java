package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.VolumeOwnership;

/**
 * A volume opened without ownership: asked for read-only, another server's lease is live, or the
 * store cannot fence a takeover. Every change is refused with EROFS; nothing is ever written to the
 * bucket, so this server can never disturb the owner.
 */
final class ReadOnlyOwnership implements VolumeOwnership {
    private final String root;
    private final String why;

    ReadOnlyOwnership(String root, String why) {
        this.root = root;
        this.why = why;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void beforeWrite() {
        throw refusal();
    }

    @Override
    public void confirmDurable() {
        throw refusal();
    }

    @Override
    public void resize(long newSize) {
        throw refusal();
    }

    @Override
    public void close() {
    }

    private ErrnoException refusal() {
        return new ErrnoException(Errno.EROFS, "s3 volume " + root + " is open read-only: " + why);
    }
}
