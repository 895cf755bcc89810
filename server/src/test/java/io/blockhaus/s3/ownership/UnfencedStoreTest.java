package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.s3.ownership.OwnershipFixture.Server;
import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static io.blockhaus.s3.ownership.OwnershipFixture.SIZE;
import static io.blockhaus.s3.ownership.OwnershipFixture.expectErrno;
import static io.blockhaus.s3.ownership.OwnershipFixture.lease;
import static io.blockhaus.s3.ownership.OwnershipFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

/** A store that ignores If-None-Match (S3Proxy's transient backend): the probe says so, takeovers need the operator. */
class UnfencedStoreTest {
    private final OwnershipFixture f = new OwnershipFixture(false);

    @Test
    void theProbeReportsItAndNewVolumesAreStillCreatedAndOwned() {
        OwnedVolume a = f.server("a").open();
        assertThat(a.storeRefusesSecondCreate()).isFalse();
        assertThat(a.ownership().readOnly()).isFalse();
        a.ownership().beforeWrite();
        lease(a).renewNow();
    }

    @Test
    void aLiveOwnerIsLeftAloneEvenWithUnfenced() {
        f.server("a").open();
        assertThat(f.server("b").open(request("b", OptionalLong.of(SIZE), false, true)).ownership().readOnly()).isTrue();
    }

    @Test
    void anOwnerThatNeverReleasedIsNotTakenOverWithoutUnfenced() {
        f.server("a").open();
        f.advancePastExpiry();
        var keys = f.manifestKeys();
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).isTrue();
        expectErrno(Errno.EROFS, b.ownership()::beforeWrite);
        assertThat(f.manifestKeys()).isEqualTo(keys);
    }

    @Test
    void withUnfencedTheOperatorTakesItOverAndTheOldOwnerUsuallyNoticesAtItsNextRenewal() {
        OwnedVolume a = f.server("a").open();
        f.advancePastExpiry();
        OwnedVolume b = f.server("b").open(request("b", OptionalLong.of(SIZE), false, true));
        assertThat(b.ownership().readOnly()).isFalse();
        assertThat(b.storeRefusesSecondCreate()).isFalse();
        b.ownership().beforeWrite();
        expectErrno(Errno.EROFS, lease(a)::renewNow); // it looked the name up before its put
        expectErrno(Errno.EROFS, a.ownership()::beforeWrite);
        lease(b).renewNow();
    }

    @Test
    void aReleasedVolumeIsTakenWithoutUnfenced() {
        Server a = f.server("a");
        a.open().ownership().close();
        assertThat(f.server("b").open().ownership().readOnly()).isFalse();
    }
}
