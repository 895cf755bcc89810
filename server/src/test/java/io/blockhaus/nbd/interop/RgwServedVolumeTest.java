package io.blockhaus.nbd.interop;

import static io.blockhaus.nbd.interop.NbdSession.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.s3.RgwBucket;
import io.blockhaus.s3.RgwFixture;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
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
                // A's write may still be taken by its page cache; nothing of it may ever be stored.
                Map<String, Object> write = sa.write(MIB, (int) MIB, seed + 2, REQUEST);
                if (!Boolean.TRUE.equals(write.get("ok"))) {
                    assertThat((String) write.get("errno")).as("A's write, refused at once").isIn("EIO", "EPERM");
                }
                // Its flushes all fail: EIO while A only knows its lease lapsed, then, once its next
                // renewal found B's epoch, EROFS for good (NBD carries EROFS as EPERM).
                List<Object> answers = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    Map<String, Object> flush = sa.flush(REQUEST);
                    assertThat(flush).as("A's flush after the takeover").containsEntry("ok", false);
                    answers.add(flush.get("errno"));
                    assertThat((String) flush.get("errno")).as("A's flush answers so far: %s", answers).isIn("EIO", "EPERM");
                    if (flush.get("errno").equals("EPERM")) {
                        break;
                    }
                    assertThat(System.nanoTime()).as("A learns it was fenced within 60 s: %s", answers).isLessThan(deadline);
                    LockSupport.parkNanos(200_000_000); // between flushes: A's renewal runs on its own thread
                }
                System.out.println("fenced server's flushes answered " + answers + " (write: " + write + ")");
                assertThat(ok(sa.read(0, (int) MIB, seed, REQUEST))).as("the fenced server still serves reads")
                        .containsEntry("equal", true);
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
