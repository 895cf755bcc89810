package io.blockhaus.s3.stripes;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;

import java.time.Duration;
import java.util.Optional;

/**
 * Room for one volume's staged bytes: its own {@link StagingBudget} of {@code maxBufferedBytes}
 * and, if the server has one, the shared budget, taken together and given back together.
 * Taking may wait (never called with the volume's lock held: the uploads that give room back
 * need it).
 */
final class StagingRoom {
    private final StagingBudget local;
    private final Optional<StagingBudget> shared;
    private final Duration outageWait;
    private final String volume;

    StagingRoom(StripedStoreOptions options, String volume) {
        this.local = new StagingBudget(options.maxBufferedBytes());
        this.shared = options.sharedBudget();
        this.outageWait = options.outageWait();
        this.volume = volume;
    }

    /** Registers the volume's "upload everything now", run when a taker of either budget finds no room. */
    void register(Runnable reliever) {
        local.register(reliever);
        shared.ifPresent(b -> b.register(reliever));
    }

    void unregister(Runnable reliever) {
        local.unregister(reliever);
        shared.ifPresent(b -> b.unregister(reliever));
    }

    /** Takes {@code bytes} from both budgets, waiting at most {@code outageWait}: EIO, nothing taken, if there is no room by then. */
    void take(long bytes, String lastFailure) {
        long deadline = System.nanoTime() + outageWait.toNanos();
        try {
            if (!local.take(bytes, deadline)) {
                throw new ErrnoException(Errno.EIO, "no room to stage another object of " + volume + " after "
                        + outageWait.toMillis() + " ms: " + local + " (store slow or unreachable" + lastFailure + ")");
            }
            if (shared.isPresent() && !shared.get().take(bytes, deadline)) {
                local.give(bytes);
                throw new ErrnoException(Errno.EIO, "no room in the server's s3 staging budget " + shared.get()
                        + " after " + outageWait.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EIO, "interrupted waiting for room to stage " + volume, e);
        }
    }

    void give(long bytes) {
        local.give(bytes);
        shared.ifPresent(b -> b.give(bytes));
    }

    /** Bytes this volume holds now. */
    long used() {
        return local.used();
    }

    /** True past half of the volume's bound: time to upload before a writer must wait. */
    boolean pastHalf() {
        return 2 * local.used() > local.capacity();
    }
}
