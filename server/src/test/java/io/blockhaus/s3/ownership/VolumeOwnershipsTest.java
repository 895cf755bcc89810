package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.ownership.OwnershipFixture.Server;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

import static io.blockhaus.s3.ownership.OwnershipFixture.LEASE;
import static io.blockhaus.s3.ownership.OwnershipFixture.ROOT;
import static io.blockhaus.s3.ownership.OwnershipFixture.SIZE;
import static io.blockhaus.s3.ownership.OwnershipFixture.TIMEOUT;
import static io.blockhaus.s3.ownership.OwnershipFixture.expectErrno;
import static io.blockhaus.s3.ownership.OwnershipFixture.lease;
import static io.blockhaus.s3.ownership.OwnershipFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Opening, creating, geometry, read-only opens, and what is refused. */
class VolumeOwnershipsTest {
    private final OwnershipFixture f = new OwnershipFixture(true);

    @Test
    void aNewVolumeIsCreatedOwnedAndWritable() {
        OwnedVolume v = f.server("a").open();
        assertThat(v.geometry()).isEqualTo(new VolumeGeometry(SIZE, 1 << 22, 4096));
        assertThat(v.storeRefusesSecondCreate()).isTrue();
        assertThat(v.ownership().readOnly()).isFalse();
        v.ownership().beforeWrite();
        v.ownership().confirmDurable();
        assertThat(f.manifestKeys()).containsExactly(ROOT + "manifest/00000000000000000001");
        String json = new String(f.bucket.get(ROOT + "manifest/00000000000000000001").orElseThrow(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"epoch\":1", "\"owner\":\"a\"", "\"state\":\"OWNED\"", "\"size\":" + SIZE,
                "\"leaseMillis\":30000");
        assertThat(lease(v).epoch()).isEqualTo(1);
    }

    @Test
    void anExistingVolumeOpensWithItsOwnGeometryWhateverTheRequestSays() {
        Server a = f.server("a");
        a.open().ownership().close();
        OwnedVolume again = a.ownerships().open(a.store(), ROOT,
                new OwnershipRequest("a", OptionalLong.of(1L << 40), 1 << 20, 65536, false, LEASE, false, TIMEOUT));
        assertThat(again.geometry()).isEqualTo(new VolumeGeometry(SIZE, 1 << 22, 4096));
        assertThat(again.ownership().readOnly()).isFalse();
        assertThat(lease(again).epoch()).isEqualTo(2);
    }

    @Test
    void aMissingVolumeWithoutASizeIsAClearErrorAndCreatesNothing() {
        Server a = f.server("a");
        assertThatThrownBy(() -> a.open(request("a", OptionalLong.empty(), false, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist")
                .hasMessageContaining("no size");
        assertThatThrownBy(() -> a.open(request("a", OptionalLong.of(SIZE), true, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only open cannot create");
        assertThat(f.manifestKeys()).isEmpty();
    }

    @Test
    void aLeaseTooShortForTheRequestTimeoutIsRefused() {
        Server a = f.server("a");
        Duration min = OwnershipRequest.minimumLease(TIMEOUT);
        assertThat(min).isBetween(Duration.ofSeconds(16), Duration.ofSeconds(17));
        assertThatThrownBy(() -> a.open(new OwnershipRequest("a", OptionalLong.of(SIZE), 1 << 22, 4096, false,
                min.minusMillis(1), false, TIMEOUT))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too short");
        assertThat(a.open(new OwnershipRequest("a", OptionalLong.of(SIZE), 1 << 22, 4096, false, min, false, TIMEOUT))
                .ownership().readOnly()).isFalse();
    }

    @Test
    void aSecondServerOpensReadOnlyWhileTheLeaseIsLiveAndWritesNothing() {
        OwnedVolume a = f.server("a").open();
        f.time.advance(LEASE.minusSeconds(1)); // just before the store's clock could call it expired
        lease(a).renewNow(); // not needed for B's verdict; keeps A writable
        f.time.advance(LEASE.minusSeconds(1));
        var keys = f.manifestKeys();
        OwnedVolume b = f.server("b").open();
        assertThat(b.ownership().readOnly()).isTrue();
        assertThat(b.geometry()).isEqualTo(a.geometry());
        expectErrno(Errno.EROFS, b.ownership()::beforeWrite);
        expectErrno(Errno.EROFS, b.ownership()::confirmDurable);
        expectErrno(Errno.EROFS, () -> b.ownership().resize(1));
        b.ownership().close();
        assertThat(f.manifestKeys()).isEqualTo(keys);
        // A itself, 29 s after its renewal, no longer starts a request that could outlive its lease...
        expectErrno(Errno.EIO, a.ownership()::beforeWrite);
        lease(a).renewNow();
        a.ownership().beforeWrite(); // ...until it renews
    }

    @Test
    void aLeaseJustShortOfExpiryByTheStoresClockIsStillLive() {
        f.server("a").open();
        // Expired needs age - 2 s >= 30.03 s on a clock of one-second steps: 32 s of age is not enough.
        f.time.advance(Duration.ofSeconds(32));
        assertThat(f.server("b").open().ownership().readOnly()).isTrue();
        f.time.advance(Duration.ofSeconds(2));
        assertThat(f.server("c").open().ownership().readOnly()).isFalse();
    }

    @Test
    void aReadOnlyRequestNeverTakesOwnershipEvenOfAReleasedVolume() {
        Server a = f.server("a");
        a.open().ownership().close();
        var keys = f.manifestKeys();
        OwnedVolume b = f.server("b").open(request("b", OptionalLong.of(SIZE), true, false));
        assertThat(b.ownership().readOnly()).isTrue();
        assertThat(f.manifestKeys()).isEqualTo(keys);
    }

    @Test
    void theProbeRunsOncePerStoreAndItsKeyIsDeleted() {
        Server a = f.server("a");
        a.open().ownership().close();
        a.open().ownership().close();
        assertThat(a.store().probes.get()).isEqualTo(1);
        assertThat(f.bucket.keys()).noneMatch(k -> k.contains(".blockhaus-probe/"));
    }

    @Test
    void anUnreadableManifestIsRefusedNotGuessedAt() {
        f.bucket.put(ROOT + "manifest/00000000000000000001",
                java.nio.ByteBuffer.wrap("{\"format\":2}".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> f.server("a").open()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 2");
    }

    @Test
    void aStoreFailureAtOpenReachesTheCaller() {
        Server a = f.server("a");
        a.store().down = true;
        assertThatThrownBy(a::open).isInstanceOf(ObjectStoreException.class);
    }
}
