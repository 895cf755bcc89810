package io.blockhaus.s3;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link VolumeOwnership} for data-path tests: owner or read-only, fenced on demand, counting
 * what the data path asked of it. (The real one is io.blockhaus.s3.ownership's.)
 */
public final class TestOwnership implements VolumeOwnership {
    private final boolean readOnly;
    private final AtomicBoolean fenced = new AtomicBoolean();
    public final AtomicInteger beforeWrites = new AtomicInteger();
    public final AtomicInteger confirms = new AtomicInteger();
    public final AtomicLong lastResize = new AtomicLong(-1);

    private TestOwnership(boolean readOnly) {
        this.readOnly = readOnly;
    }

    public static TestOwnership owner() {
        return new TestOwnership(false);
    }

    public static TestOwnership readOnlyView() {
        return new TestOwnership(true);
    }

    /** From now on, every write-side call fails EROFS, as after a takeover by another server. */
    public void fence() {
        fenced.set(true);
    }

    @Override
    public boolean readOnly() {
        return readOnly || fenced.get();
    }

    private void check() {
        if (readOnly()) {
            throw new ErrnoException(Errno.EROFS, readOnly ? "opened read-only" : "fenced by a newer owner");
        }
    }

    @Override
    public void beforeWrite() {
        check();
        beforeWrites.incrementAndGet();
    }

    @Override
    public void confirmDurable() {
        check();
        confirms.incrementAndGet();
    }

    @Override
    public void resize(long newSize) {
        check();
        lastResize.set(newSize);
    }

    @Override
    public void close() {
    }
}
