package io.blockhaus.nbd.interop;

import static io.blockhaus.nbd.interop.NbdSession.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.s3.S3ProxyServer;
import io.blockhaus.s3.objects.ObjectStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Served s3 volumes on S3Proxy (in this JVM, a fresh one per test): the common tests, an outage
 * of the store under a writing client, what start-up says about fencing on a store that ignores
 * create-only writes, and the start-up errors an operator meets first.
 */
class S3ProxyServedVolumeTest extends S3ServedVolumes {
    private S3ProxyServer proxy;

    @BeforeEach
    void startProxy() {
        proxy = new S3ProxyServer();
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Override
    Target target() {
        return new Target(List.of("--s3-endpoint", proxy.endpoint().toString(), "--s3-path-style"), proxy.environment(),
                S3ProxyServer.BUCKET, false);
    }

    @Override
    ObjectStore objects() {
        return proxy.objectStore();
    }

    @Test
    void anOutageFailsTheFlushWithEioKeepsServingCachedDataAndTheNextFlushAfterItStoresIt() throws Exception {
        long seed = Images.seed();
        // bypass=off: the 1 MiB writes and reads go through the page cache (the point: cached data is
        // served through the outage), not around it to the store.
        String vol = export("vol", "size=8M,object-size=1M,bypass=off");
        List<String> options = List.of("--s3-request-timeout", "2s", "--s3-outage-wait", "3s", "--s3-lease", "2m");
        try (ServedServer a = serve("a", options, "--export", vol);
             NbdSession s = NbdSession.open(dir, a.uri("vol"))) {
            ok(s.write(0, (int) MIB, seed, REQUEST));
            ok(s.flush(REQUEST));

            proxy.stop();
            ok(s.write(2 * MIB, (int) MIB, seed + 1, REQUEST)); // into the cache: no request to the store yet
            long t0 = System.nanoTime();
            Map<String, Object> failed = s.flush(REQUEST);
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(failed).as("flush while the store is down").containsEntry("ok", false).containsEntry("errno", "EIO");
            System.out.println("flush during the outage failed after " + waitedMs + " ms (--s3-outage-wait 3s)");
            assertThat(ok(s.read(2 * MIB, (int) MIB, seed + 1, REQUEST))).as("unstored write still readable")
                    .containsEntry("equal", true);
            assertThat(ok(s.read(0, (int) MIB, seed, REQUEST))).as("cached flushed data").containsEntry("equal", true);
            assertThat(a.alive()).as("the server stays up through the outage").isTrue();

            proxy.start();
            ok(s.flush(REQUEST));
            a.kill(); // what the flush stored must be in the bucket, whatever the server still had
        }
        // A read-only export needs no ownership (the killed server's lease may still be live).
        try (ServedServer b = serve("b", List.of(), "--export", export("vol", "readonly"));
             NbdSession s = NbdSession.open(dir, b.uri("vol"))) {
            assertThat(s.hello).containsEntry("read_only", true);
            assertThat(ok(s.read(2 * MIB, (int) MIB, seed + 1, REQUEST))).as("written during the outage, flushed after it")
                    .containsEntry("equal", true);
            assertThat(ok(s.read(0, (int) MIB, seed, REQUEST))).containsEntry("equal", true);
        }
    }

    @Test
    void withoutFencingASecondServerOpensAnOwnedVolumeReadOnlyAndSaysWhy() throws Exception {
        String vol = export("vol", "size=4M,object-size=1M");
        try (ServedServer a = serve("a", List.of(), "--export", vol)) {
            assertThat(a.log()).contains("does NOT refuse a second create-only write (If-None-Match: *)")
                    .contains("owned by this server");
            try (ServedServer b = serve("b", List.of(), "--export", export("vol", ""))) {
                assertThat(b.log()).contains("WARNING: s3://" + S3ProxyServer.BUCKET + "/ at " + proxy.endpoint()
                        + ", path-style does NOT refuse a second create-only write")
                        .contains("read-only: another server owns it (its lease is live, or this store cannot fence a takeover)");
                try (NbdSession s = NbdSession.open(dir, b.uri("vol"))) {
                    assertThat(s.hello).containsEntry("read_only", true);
                    assertThat(s.write(0, 4096, 1, REQUEST)).as("a write to the read-only server")
                            .containsEntry("ok", false).containsEntry("errno", "EPERM");
                }
                assertThat(b.stop()).isZero();
            }
            assertThat(a.stop()).isZero();
        }
    }

    @Test
    void startUpErrorsNameTheProblem() throws Exception {
        record Case(List<String> options, Map<String, String> env, String message) {
        }
        List<String> endpoint = target().serveOptions();
        List<Case> cases = List.of(
                new Case(List.of("--export", export("vol", "")), proxy.environment(),
                        "export 'vol' (s3://blockhaus-test/vol/): there is no volume there yet; give size= to create it"),
                new Case(List.of("--export", "name=vol,store=s3,bucket=no-such-bucket,size=1M"), proxy.environment(),
                        "bucket no-such-bucket does not exist at " + proxy.endpoint()),
                new Case(List.of("--export", export("vol", "size=1M")), Map.of("AWS_ACCESS_KEY_ID", proxy.accessKey(),
                        "AWS_SECRET_ACCESS_KEY", "wrong", "AWS_REGION", S3ProxyServer.REGION),
                        "access denied to bucket blockhaus-test at " + proxy.endpoint()));
        for (Case c : cases) {
            List<String> options = new ArrayList<>(endpoint);
            options.addAll(c.options());
            String[] log = new String[1];
            assertThat(ServedServer.runToExit(dir.resolve("x"), c.env(), options, log)).as(log[0]).isEqualTo(1);
            assertThat(log[0]).contains("blockhaus-server: error: ").contains(c.message());
        }
        proxy.stop();
        String[] log = new String[1];
        List<String> options = new ArrayList<>(endpoint);
        options.addAll(List.of("--s3-request-timeout", "1s", "--export", export("vol", "size=1M")));
        assertThat(ServedServer.runToExit(dir.resolve("x"), proxy.environment(), options, log)).as(log[0]).isEqualTo(1);
        assertThat(log[0]).contains("cannot reach the object store at " + proxy.endpoint());
        proxy.start();
    }
}
