package io.blockhaus.engine.store;

import static io.blockhaus.engine.store.BackingStoreContractTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.blockhaus.engine.errno.Errno;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OpenFile}'s lifecycle: the descriptor is closed once, never under a call that holds it,
 * and every later call is refused (ESHUTDOWN when it may wait, a plain "no" when it may not).
 */
class OpenFileTest {
    @TempDir
    Path dir;

    private final ForwardingNativeIo io = new ForwardingNativeIo();

    private OpenFile create() {
        return SparseFileOpener.create(io, dir.resolve("f"), 1 << 16);
    }

    @Test
    void closeWaitsForTheCallUsingTheDescriptorAndThenClosesItOnce() throws InterruptedException {
        OpenFile f = create();
        AtomicInteger released = new AtomicInteger();
        f.enter();
        Thread closer = Thread.ofPlatform().start(() -> f.close(released::incrementAndGet));
        try {
            awaitParked(closer);
            assertThat(io.calls("close")).as("closed under a running call").isZero();
            assertThat(released).as("released under a running call").hasValue(0);
        } finally {
            f.exit();
        }
        closer.join(Duration.ofSeconds(30));
        assertThat(closer.isAlive()).as("close still waiting after the call left").isFalse();
        assertThat(io.calls("close")).isEqualTo(1);
        assertThat(released).hasValue(1);

        f.close(released::incrementAndGet);
        assertThat(io.calls("close")).as("a second close").isEqualTo(1);
        assertThat(released).as("a second close").hasValue(1);
    }

    @Test
    void afterCloseBlockingCallsGetEshutdownAndNonBlockingOnesANo() {
        OpenFile f = create();
        f.close(() -> { });
        assertErrno(Errno.ESHUTDOWN, f::enter);
        assertErrno(Errno.ESHUTDOWN, f::enterForChange);
        assertThat(f.tryEnter()).isFalse();
        assertThat(f.closedHint()).isTrue();
    }

    @Test
    void aChangeOnAReadOnlyFileIsErofsAndHoldsNothing() {
        create().close(() -> { });
        OpenFile f = SparseFileOpener.open(io, dir.resolve("f"), true);
        assertErrno(Errno.EROFS, f::enterForChange);
        assertThat(f.tryEnter()).isTrue();
        f.exit();
        // A read lock leaked by the refusal would make this close wait for itself forever.
        f.close(() -> { });
        assertThat(io.calls("close")).isEqualTo(2);
    }

    @Test
    void checksAreAgainstTheCurrentSizeAndAlignment() {
        OpenFile f = create();
        try {
            f.checkRange("write", 0, 1 << 16);
            assertErrno(Errno.EINVAL, () -> f.checkRange("write", 1, 1 << 16));
            f.setSize(1 << 17);
            f.checkRange("write", 1, 1 << 16);
            f.checkAligned("collapse range", 0, f.blockAlignment());
            assertErrno(Errno.EINVAL, () -> f.checkAligned("collapse range", 1, f.blockAlignment()));
        } finally {
            f.close(() -> { });
        }
    }

    /** Until {@code t} waits (parked on the lifecycle lock: it has nothing else to wait for). */
    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (t.getState() != Thread.State.WAITING) {
            if (!t.isAlive() || System.nanoTime() - deadline > 0) {
                fail("the closer never waited: " + t.getState());
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
