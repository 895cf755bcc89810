package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.ownership.OwnershipFixture.Server;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static io.blockhaus.s3.ownership.OwnershipFixture.LEASE;
import static io.blockhaus.s3.ownership.OwnershipFixture.ROOT;
import static io.blockhaus.s3.ownership.OwnershipFixture.expectErrno;
import static io.blockhaus.s3.ownership.OwnershipFixture.lease;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Renewal, lapse and recovery of one owner's lease. */
class LeaseTest {
    private final OwnershipFixture f = new OwnershipFixture(true);
    /** Lease 30 s counted short by 0.1 %, minus one write window (timeout 5 s + 1 s slack). */
    private static final Duration LAST_WRITE = Duration.ofMillis(30_000 - 30 - 6_000);

    @Test
    void writesStopShortOfTheLeaseByOneRequestTimeout() {
        OwnedVolume a = f.server("a").open();
        f.time.advance(LAST_WRITE.minusMillis(1));
        a.ownership().beforeWrite();
        f.time.advance(Duration.ofMillis(2));
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        a.ownership().confirmDurable(); // the lease itself is still valid: no takeover possible yet
    }

    @Test
    void anUnreachableStoreLapsesTheLeaseWithEioAndRenewalRecoversItWhenNobodyTookOver() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        sa.store().down = true;
        f.time.advance(Duration.ofSeconds(10));
        assertThatThrownBy(lease(a)::renewNow).isInstanceOf(ObjectStoreException.class);
        a.ownership().beforeWrite();
        f.time.advance(Duration.ofSeconds(14));
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        f.time.advance(Duration.ofSeconds(10));
        expectErrno(Errno.EIO, a.ownership()::confirmDurable); // lapsed, and the store cannot say
        assertThat(a.ownership().readOnly()).isFalse();

        sa.store().down = false;
        expectErrno(Errno.EIO, a.ownership()::beforeWrite); // beforeWrite never asks the store
        lease(a).renewNow();
        a.ownership().beforeWrite();
        a.ownership().confirmDurable();
    }

    @Test
    void aLapsedFlushConfirmsByRenewingWhenTheStoreAnswers() {
        OwnedVolume a = f.server("a").open();
        f.time.advance(LEASE);
        int before = f.manifestKeys().size();
        a.ownership().confirmDurable();
        assertThat(f.manifestKeys()).hasSize(before + 1);
        a.ownership().beforeWrite();
    }

    @Test
    void anOutageDuringWhichAnotherServerTookOverEndsInEroFs() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        sa.store().down = true;
        f.advancePastExpiry();
        assertThat(f.server("b").open().ownership().readOnly()).isFalse();
        sa.store().down = false;
        expectErrno(Errno.EROFS, lease(a)::renewNow);
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
    }

    @Test
    void aRenewalWhoseAnswerWasLostIsFoundAtTheNextAttemptWhichRenewsAfresh() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        f.time.advance(Duration.ofSeconds(10));
        sa.store().loseNextCreateAnswer = true;
        assertThatThrownBy(lease(a)::renewNow).isInstanceOf(ObjectStoreException.class);
        f.time.advance(Duration.ofSeconds(10));
        lease(a).renewNow(); // finds version 2 is its own, then writes version 3
        assertThat(f.manifestKeys()).hasSize(3);
        for (String key : f.manifestKeys()) {
            assertThat(new String(f.bucket.get(key).orElseThrow(), StandardCharsets.UTF_8)).contains("\"epoch\":1");
        }
        f.time.advance(LAST_WRITE.minusMillis(1)); // the lease counts from version 3's send
        a.ownership().beforeWrite();
        f.time.advance(Duration.ofMillis(2));
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
    }

    @Test
    void aSuspendedMachineWhoseMonotonicClockStoodStillSeesItsLeaseLapsedByTheWallClock() {
        Server sa = f.server("a");
        OwnedVolume a = sa.open();
        sa.clock().jumpWall(LEASE);
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        lease(a).renewNow();
        a.ownership().beforeWrite();
    }

    @Test
    void renewalsKeepOnlyTheNewestVersions() {
        OwnedVolume a = f.server("a").open();
        for (int i = 0; i < 30; i++) {
            f.time.advance(Duration.ofSeconds(5));
            lease(a).renewNow();
        }
        assertThat(f.manifestKeys()).hasSize(ManifestLog.KEEP + 1)
                .last().isEqualTo(ROOT + "manifest/00000000000000000031");
        assertThat(f.server("b").open().ownership().readOnly()).isTrue();
    }

    @Test
    void theBackgroundThreadRenewsEveryPeriodAndReleasesOnClose() throws Exception {
        SimulatedTime.ServerClock clock = f.time.server(1.0, 0, 0, false); // sleeping waits for the test to move time
        FlakyObjectStore store = new FlakyObjectStore(f.bucket);
        OwnedVolume a = new VolumeOwnerships(clock, true).open(store, ROOT, OwnershipFixture.request("a",
                java.util.OptionalLong.of(OwnershipFixture.SIZE), false, false));
        Semaphore renewed = new Semaphore(0);
        store.afterCreate = renewed::release;
        long period = new LeaseTiming(LEASE, OwnershipFixture.TIMEOUT).renewPeriodNanos();
        for (int i = 0; i < 3; i++) {
            f.time.advance(Duration.ofNanos(period + 1));
            assertThat(renewed.tryAcquire(30, TimeUnit.SECONDS)).as("renewal %d", i + 1).isTrue();
        }
        // 3.9 periods (31 s) after the open: writable only thanks to the renewals; the next is due at 4 periods.
        f.time.advance(Duration.ofNanos(period * 9 / 10));
        a.ownership().beforeWrite();
        a.ownership().close();
        String last = f.manifestKeys().getLast();
        assertThat(last).isEqualTo(ROOT + "manifest/00000000000000000005");
        assertThat(new String(f.bucket.get(last).orElseThrow(), StandardCharsets.UTF_8)).contains("\"state\":\"RELEASED\"");
    }
}
