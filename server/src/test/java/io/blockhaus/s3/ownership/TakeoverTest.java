package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.s3.ownership.OwnershipFixture.Server;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.blockhaus.s3.ownership.OwnershipFixture.ROOT;
import static io.blockhaus.s3.ownership.OwnershipFixture.SIZE;
import static io.blockhaus.s3.ownership.OwnershipFixture.TIMEOUT;
import static io.blockhaus.s3.ownership.OwnershipFixture.expectErrno;
import static io.blockhaus.s3.ownership.OwnershipFixture.lease;
import static io.blockhaus.s3.ownership.OwnershipFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

/** A second server takes the volume: after expiry, after a release, racing a third; the old owner fenced. */
class TakeoverTest {
    private final OwnershipFixture f = new OwnershipFixture(true);

    @Test
    void afterExpiryAnotherServerTakesOverAndWritesAtOnce() {
        OwnedVolume a = f.server("a").open();
        a.ownership().beforeWrite();
        f.advancePastExpiry();
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).isFalse();
        assertThat(lease(b).epoch()).isEqualTo(2);
        long before = f.time.trueNanos();
        b.ownership().beforeWrite();
        assertThat(f.time.trueNanos()).as("no wait: the old owner's window closed with its lease").isEqualTo(before);
        assertThat(f.manifestKeys()).containsExactly(ROOT + "manifest/00000000000000000001",
                ROOT + "manifest/00000000000000000002");
    }

    @Test
    void theOldOwnerIsFencedForeverAndItsResizeChangesNothing() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        f.advancePastExpiry();
        OwnedVolume b = f.server("b").open();
        // A does not know yet: its lease lapsed, so it refuses writes as an outage would.
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        expectErrno(Errno.EROFS, lease(a)::renewNow); // the renewal finds epoch 2 in its way
        assertThat(a.ownership().readOnly()).isTrue();
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
        expectErrno(Errno.EROFS, a.ownership()::confirmDurable);
        expectErrno(Errno.EROFS, () -> a.ownership().resize(SIZE * 2));
        assertThat(f.server("c").open(request("c", OptionalLong.empty(), true, false)).geometry().size()).isEqualTo(SIZE);

        // Forever: B resizes, releases; time passes; A still never writes, and its close writes nothing.
        b.ownership().resize(SIZE / 2);
        b.ownership().close();
        f.time.advance(Duration.ofHours(1));
        List<String> keys = f.manifestKeys();
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
        expectErrno(Errno.EROFS, a.ownership()::confirmDurable);
        expectErrno(Errno.EROFS, lease(a)::renewNow);
        a.ownership().close();
        assertThat(f.manifestKeys()).isEqualTo(keys);
        assertThat(sa.open().geometry().size()).as("B's size stands").isEqualTo(SIZE / 2);
    }

    @Test
    void aFlushOfTheOldOwnerAfterTheTakeoverIsRefusedWithErofs() {
        OwnedVolume a = f.server("a").open();
        a.ownership().beforeWrite();
        f.advancePastExpiry();
        f.server("b").open();
        expectErrno(Errno.EROFS, a.ownership()::confirmDurable); // lapsed: asks the store, finds epoch 2
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
    }

    @Test
    void twoServersRacingToTakeOverOneWinsTheOtherReadsOnly() throws Exception {
        f.server("a").open();
        f.advancePastExpiry();
        Server b = f.server("b");
        Server c = f.server("c");
        CyclicBarrier bothAtTheCreate = new CyclicBarrier(2);
        Runnable lineUp = () -> {
            try {
                bothAtTheCreate.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        b.store().beforeCreate = lineUp;
        c.store().beforeCreate = lineUp;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<OwnedVolume> fb = pool.submit(() -> b.open());
            Future<OwnedVolume> fc = pool.submit(() -> c.open());
            OwnedVolume vb = fb.get(30, TimeUnit.SECONDS);
            OwnedVolume vc = fc.get(30, TimeUnit.SECONDS);
            assertThat(List.of(vb.ownership().readOnly(), vc.ownership().readOnly())).containsExactlyInAnyOrder(true, false);
            OwnedVolume winner = vb.ownership().readOnly() ? vc : vb;
            OwnedVolume loser = vb.ownership().readOnly() ? vb : vc;
            winner.ownership().beforeWrite();
            expectErrno(Errno.EROFS, loser.ownership()::beforeWrite);
            assertThat(lease(winner).epoch()).isEqualTo(2);
            assertThat(f.manifestKeys()).hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCleanReleaseLetsTheNextOwnerTakeAtOnce() {
        f.server("a").open().ownership().close();
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).isFalse();
        long before = f.time.trueNanos();
        b.ownership().beforeWrite();
        assertThat(f.time.trueNanos()).as("A wrote nothing: no quiet window").isEqualTo(before);
    }

    @Test
    void afterAReleaseTheNextOwnersFirstWriteWaitsOutTheReleasersLastRequests() {
        OwnedVolume a = f.server("a").open();
        long lastPass = f.time.trueNanos();
        a.ownership().beforeWrite();
        f.time.advance(Duration.ofSeconds(2));
        a.ownership().close();
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).as("taken at once").isFalse();
        b.ownership().beforeWrite(); // the fake clock moves time forward while it waits
        long window = TIMEOUT.plus(LeaseTiming.SEND_SLACK).toNanos();
        assertThat(f.time.trueNanos()).isGreaterThanOrEqualTo(lastPass + window)
                .isLessThan(lastPass + window + Duration.ofMillis(50).toNanos());
    }

    @Test
    void aServerThatTakesAndReleasesBeforeItsWaitEndedPassesTheWaitOn() {
        // Found by OwnershipModelTest: B's release carried only B's own (empty) window, so C wrote
        // while A's last request could still land.
        OwnedVolume a = f.server("a").open();
        long lastPass = f.time.trueNanos();
        a.ownership().beforeWrite();
        a.ownership().close();
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).isFalse();
        b.ownership().close(); // before its first write
        OwnedVolume c = f.server("c").open();
        c.ownership().beforeWrite();
        assertThat(f.time.trueNanos()).isGreaterThanOrEqualTo(lastPass + TIMEOUT.plus(LeaseTiming.SEND_SLACK).toNanos());
    }

    @Test
    void aReleaseThatCannotReachTheStoreLeavesTheNextOwnerWaitingForExpiry() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        sa.store().down = true;
        a.ownership().close();
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
        assertThat(f.server("b").open().ownership().readOnly()).isTrue();
        f.advancePastExpiry();
        assertThat(f.server("c").open().ownership().readOnly()).isFalse();
    }

    @Test
    void aResizeWhoseAnswerWasLostIsUndoneByTheNextRenewal() {
        // The truncate failed with EIO, so the data path keeps the old size; the manifest must too.
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        sa.store().loseNextCreateAnswer = true;
        expectErrno(Errno.EIO, () -> a.ownership().resize(SIZE * 2));
        assertThat(f.server("b").open(request("b", OptionalLong.empty(), true, false)).geometry().size())
                .as("landed meanwhile").isEqualTo(SIZE * 2);
        lease(a).renewNow();
        a.ownership().close();
        assertThat(sa.open().geometry().size()).isEqualTo(SIZE);
    }

    @Test
    void resizeWritesTheNextVersionAndRenewsTheLease() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        f.time.advance(Duration.ofSeconds(25));
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        a.ownership().resize(SIZE * 3);
        a.ownership().beforeWrite();
        assertThat(lease(a).geometry().size()).isEqualTo(SIZE * 3);
        a.ownership().close();
        assertThat(sa.open().geometry().size()).isEqualTo(SIZE * 3);
    }
}
