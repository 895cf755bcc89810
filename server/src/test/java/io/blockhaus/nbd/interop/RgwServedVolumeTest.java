package io.blockhaus.nbd.interop;

import static io.blockhaus.nbd.interop.NbdSession.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.s3.RgwBucket;
import io.blockhaus.s3.RgwFixture;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Served s3 volumes on Ceph's RADOS Gateway (RgwFixture: the gateway .ci/run started, or a
 * micro-Ceph, or a skip saying what to install), a fresh bucket per test: the common tests, and a
 * takeover, which needs a store that refuses a second create-only write.
 */
@ExtendWith(RgwFixture.class)
class RgwServedVolumeTest extends S3ServedVolumes {
    private RgwBucket bucket;

    @BeforeEach
    void bucket(RgwBucket b) {
        bucket = b;
    }

    @Override
    Target target() {
        return new Target(bucket.rgw().serveOptions(), bucket.rgw().childEnv(), bucket.name(), true);
    }

    @Override
    ObjectStore objects() {
        return new AwsObjectStore(bucket.rgw().settings(bucket.name(), Duration.ofSeconds(10)), bucket.rgw().credentials());
    }

    @Test
    void aServerWhoseLeaseExpiredIsTakenOverAndFencedItsLaterWritesAreRefused() throws Exception {
        long seed = Images.seed();
        String vol = export("vol", "size=8M,object-size=1M");
        try (ServedServer a = serve("a", SHORT_LEASE, "--export", vol);
             NbdSession sa = NbdSession.open(dir, a.uri("vol"))) {
            assertThat(a.log()).contains("refuses a second create-only write: ownership of its volumes is fenced")
                    .contains("owned by this server");
            ok(sa.write(0, (int) MIB, seed, REQUEST));
            ok(sa.flush(REQUEST));
            a.suspend(); // A stops renewing its lease (and everything else) without knowing it

            try (ServedServer b = serveAsOwner("b", SHORT_LEASE, export("vol", ""));
                 NbdSession sb = NbdSession.open(dir, b.uri("vol"))) {
                assertThat(ok(sb.read(0, (int) MIB, seed, REQUEST))).as("B reads what A flushed").containsEntry("equal", true);
                ok(sb.write(MIB, (int) MIB, seed + 1, REQUEST));
                ok(sb.flush(REQUEST));

                a.resume();
                Map<String, Object> write = sa.write(MIB, (int) MIB, seed + 2, REQUEST);
                Map<String, Object> flush = sa.flush(REQUEST);
                assertThat(flush).as("A's flush after the takeover (EROFS, which NBD carries as EPERM); its write: " + write)
                        .containsEntry("ok", false).containsEntry("errno", "EPERM");
                if (!Boolean.TRUE.equals(write.get("ok"))) {
                    assertThat(write).as("A's write, refused at once").containsEntry("errno", "EPERM");
                }
                assertThat(a.alive()).as("the fenced server stays up, serving reads").isTrue();

                try (NbdSession fresh = NbdSession.open(dir, b.uri("vol"))) {
                    assertThat(ok(fresh.read(MIB, (int) MIB, seed + 1, REQUEST))).as("B's data intact after A resumed")
                            .containsEntry("equal", true);
                    assertThat(ok(fresh.read(0, (int) MIB, seed, REQUEST))).containsEntry("equal", true);
                }
                assertThat(b.stop()).as(b.log()).isZero();
            }
            a.kill();
        }
        // A last server sees B's bytes, never A's later ones.
        try (ServedServer c = serve("c", List.of(), "--export", export("vol", "readonly"));
             NbdSession s = NbdSession.open(dir, c.uri("vol"))) {
            assertThat(ok(s.read(MIB, (int) MIB, seed + 1, REQUEST))).containsEntry("equal", true);
        }
    }
}
