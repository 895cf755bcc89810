package io.blockhaus.monitoring;

import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A disk that is full exactly once: its first write fails with ENOSPC, every later one goes
 * through. Writeback of the page fails once (so {@code blockhaus_writeback_errors_total} exists,
 * as it does only after a failure) and the engine's retry lands it, so the server still shuts
 * down cleanly.
 */
final class FailFirstWriteStore extends ForwardingStore {
    private final AtomicBoolean failed = new AtomicBoolean();

    FailFirstWriteStore(BackingStore delegate) {
        super(delegate);
    }

    private void maybeFail(long offset) {
        if (failed.compareAndSet(false, true)) {
            throw new ErrnoException(Errno.ENOSPC, "injected: disk full at " + offset);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        maybeFail(offset);
        super.write(offset, src);
    }

    @Override
    public void write(long offset, ByteBuffer[] srcs) {
        maybeFail(offset);
        super.write(offset, srcs);
    }
}
