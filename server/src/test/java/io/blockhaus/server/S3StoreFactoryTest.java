package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.ownership.OwnershipRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How an s3 export is opened from its parts: requests, standing, start-up messages, errors, closing order. */
class S3StoreFactoryTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @CommandLine.Command(name = "holder")
    private static final class Holder {
        @CommandLine.Mixin
        S3Options s3 = new S3Options();
    }

    private static S3Options options(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.s3;
    }

    private S3StoreFactory factory(FakeS3Parts parts, String... args) {
        StoreFactory files = (file, size, ro) -> new FakeStore(file, size, ro);
        return new S3StoreFactory(files, options(args), parts, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private static VolumePlan plan(String export) {
        return VolumePlan.resolve(Path.of("/data"), List.of(ExportSpec.parse(export))).getFirst();
    }

    @Test
    void aNewVolumeIsCreatedWithTheExportsGeometryAndOwnedByThisServer() {
        FakeS3Parts parts = new FakeS3Parts(true);
        try (S3StoreFactory f = factory(parts, "--s3-endpoint", "http://127.0.0.1:9", "--s3-path-style",
                "--s3-lease", "8s", "--s3-request-timeout", "2s", "--s3-max-parallel-puts", "3", "--s3-max-pending", "32M",
                "--s3-outage-wait", "1s", "--s3-max-pending-total", "96M")) {
            StoreFactory.Opened o = f.open(plan("name=v,store=s3,bucket=bk1,prefix=p/,size=8M,object-size=1M,page-size=8K"));
            assertThat(o.readOnly()).isFalse();
            assertThat(o.store().size()).isEqualTo(8 << 20);
            OwnershipRequest r = parts.requests.getFirst();
            assertThat(r.serverId()).endsWith(":" + ProcessHandle.current().pid());
            assertThat(r).isEqualTo(new OwnershipRequest(r.serverId(), OptionalLong.of(8 << 20), 1 << 20, 8192, false,
                    Duration.ofSeconds(8), false, Duration.ofSeconds(2)));
            assertThat(parts.stripeOptions).singleElement().satisfies(so -> {
                assertThat(so.maxParallelPuts()).isEqualTo(3);
                assertThat(so.maxBufferedBytes()).isEqualTo(32 << 20);
                assertThat(so.outageWait()).isEqualTo(Duration.ofSeconds(1));
                assertThat(so.sharedBudget()).hasValueSatisfying(b -> assertThat(b.capacity()).isEqualTo(96L << 20));
            });
            assertThat(parts.connected).singleElement().satisfies(s -> {
                assertThat(s.bucket()).isEqualTo("bk1");
                assertThat(s.endpoint()).hasValueSatisfying(u -> assertThat(u.toString()).isEqualTo("http://127.0.0.1:9"));
                assertThat(s.pathStyle()).isTrue();
                assertThat(s.region()).isEqualTo("us-east-1");
                assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
            });
            assertThat(parts.bucket.keys()).containsExactly("p/v/manifest/00000000000000000001")
                    .as("the probe deleted its key");
        }
        assertThat(out.toString()).contains("s3://bk1/p/ at http://127.0.0.1:9, path-style refuses a second create-only write")
                .contains("s3 volume v: s3://bk1/p/v/, 8M (created), objects of 1M, owned by this server");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void anExistingVolumeKeepsItsSizeAndSizeMustMatchIt() {
        FakeS3Parts parts = new FakeS3Parts(true);
        parts.existing("v/", 3 << 20);
        try (S3StoreFactory f = factory(parts)) {
            assertThat(f.open(plan("name=v,store=s3,bucket=bk1")).store().size()).isEqualTo(3 << 20);
            assertThat(out.toString()).contains("s3 volume v: s3://bk1/v/, 3M, objects of 4M")
                    .doesNotContain("(created)");
            assertThatThrownBy(() -> f.open(plan("name=v,store=s3,bucket=bk1,size=4M")))
                    .isInstanceOf(StartupException.class)
                    .hasMessage("export 'v' (s3://bk1/v/): size=4M but the volume has 3145728 bytes (3M); the server never"
                            + " resizes a volume on start: drop size= or give its size");
            assertThat(parts.events).endsWith("own v/", "release v/").as("the refused open gave the volume up");
        }
    }

    @Test
    void aMissingVolumeNeedsSizeAndCannotBeReadOnly() {
        FakeS3Parts parts = new FakeS3Parts(true);
        try (S3StoreFactory f = factory(parts)) {
            assertThatThrownBy(() -> f.open(plan("name=v,store=s3,bucket=bk1")))
                    .isInstanceOf(StartupException.class)
                    .hasMessage("export 'v' (s3://bk1/v/): there is no volume there yet; give size= to create it");
            assertThatThrownBy(() -> f.open(plan("name=v,store=s3,bucket=bk1,size=1M,readonly")))
                    .hasMessage("export 'v' (s3://bk1/v/): there is no volume there yet, and a read-only export cannot create one");
            assertThat(parts.requests).as("nothing asked of ownership").isEmpty();
        }
    }

    @Test
    void aVolumeAnotherServerOwnsIsServedReadOnlyAndSaysSo() {
        FakeS3Parts parts = new FakeS3Parts(true);
        parts.existing("v/", 1 << 20);
        parts.ownedElsewhere.add("v/");
        parts.existing("w/", 1 << 20);
        try (S3StoreFactory f = factory(parts)) {
            StoreFactory.Opened v = f.open(plan("name=v,store=s3,bucket=bk1"));
            assertThat(v.readOnly()).isTrue();
            v.store().force(); // nothing to make durable: not a request to confirm a tenure never held
            assertThatThrownBy(() -> v.store().write(0, java.nio.ByteBuffer.allocate(1)))
                    .isInstanceOfSatisfying(io.blockhaus.engine.errno.ErrnoException.class,
                            e -> assertThat(e.errno()).isEqualTo(io.blockhaus.engine.errno.Errno.EROFS));
            assertThat(parts.events).doesNotContain("stripe force v/");
            assertThat(f.open(plan("name=w,store=s3,bucket=bk1,readonly")).readOnly()).isTrue();
        }
        assertThat(parts.requests.get(1).readOnly()).as("readonly asks for no ownership").isTrue();
        assertThat(out.toString()).contains("s3 volume v: s3://bk1/v/, 1M, objects of 4M, read-only: another server owns it (its lease is live)")
                .contains("s3 volume w: s3://bk1/w/, 1M, objects of 4M, read-only (readonly)");
    }

    @Test
    void aStoreThatDoesNotRefuseASecondCreateIsSaidLoudlyOncePerBucket() {
        FakeS3Parts parts = new FakeS3Parts(false);
        try (S3StoreFactory f = factory(parts)) {
            f.open(plan("name=a,store=s3,bucket=bk1,size=1M"));
            f.open(plan("name=b,store=s3,bucket=bk1,size=1M"));
        }
        assertThat(err.toString().lines()).singleElement().asString()
                .startsWith("blockhaus: WARNING: s3://bk1/ at AWS S3 (us-east-1) does NOT refuse a second create-only write")
                .endsWith("A volume another server owns is opened read-only and never taken over (--s3-unfenced to take it).");
        assertThat(out.toString()).contains("owned by this server (").contains("), UNFENCED");
        assertThat(parts.connected).as("one object store per bucket").hasSize(1);
        assertThat(parts.stripeOptions.get(0).sharedBudget().orElseThrow())
                .as("one staging budget for the server's volumes").isSameAs(parts.stripeOptions.get(1).sharedBudget().orElseThrow());
        assertThat(parts.requests).allSatisfy(r -> assertThat(r.unfenced()).isFalse());

        FakeS3Parts unfenced = new FakeS3Parts(false);
        err.getBuffer().setLength(0);
        try (S3StoreFactory f = factory(unfenced, "--s3-unfenced")) {
            f.open(plan("name=a,store=s3,bucket=bk1,size=1M"));
        }
        assertThat(err.toString()).contains("--s3-unfenced: taking ownership anyway; never let two servers open one volume.");
        assertThat(unfenced.requests.getFirst().unfenced()).isTrue();
    }

    @Test
    void failedRequestsAtStartUpSayWhatIsWrong() {
        record Case(int status, String message) {
        }
        for (Case c : List.of(
                new Case(0, "export 'v' (s3://bk1/v/): cannot reach the object store at http://127.0.0.1:9: Connection refused"),
                new Case(403, "export 'v' (s3://bk1/v/): access denied to bucket bk1 at http://127.0.0.1:9: check the credentials"
                        + " (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and what they may do: Connection refused"),
                new Case(404, "export 'v' (s3://bk1/v/): bucket bk1 does not exist at http://127.0.0.1:9 (the server never"
                        + " creates buckets): Connection refused"),
                new Case(500, "export 'v' (s3://bk1/v/): the object store at http://127.0.0.1:9 answered HTTP 500: Connection refused"))) {
            FakeS3Parts parts = new FakeS3Parts(true);
            parts.failure = new ObjectStoreException("Connection refused", c.status() == 0 || c.status() == 500, c.status(), null);
            try (S3StoreFactory f = factory(parts, "--s3-endpoint", "http://127.0.0.1:9")) {
                assertThatThrownBy(() -> f.open(plan("name=v,store=s3,bucket=bk1,size=1M")))
                        .isInstanceOf(StartupException.class).hasMessage(c.message());
            }
        }
    }

    @Test
    void fileExportsStillOpenTheirFiles() {
        FakeS3Parts parts = new FakeS3Parts(true);
        try (S3StoreFactory f = factory(parts)) {
            BackingStore s = f.open(plan("name=f,size=1M")).store();
            assertThat(s).isInstanceOfSatisfying(FakeStore.class, fs -> assertThat(fs.file).isEqualTo(Path.of("/data/f.img")));
        }
        assertThat(parts.events).as("no bucket for a file").isEmpty();
    }

    @Test
    void closingReleasesEveryOwnershipBeforeTheObjectStores() {
        FakeS3Parts parts = new FakeS3Parts(true);
        S3StoreFactory f = factory(parts);
        BackingStore a = f.open(plan("name=a,store=s3,bucket=bk1,size=1M")).store();
        BackingStore b = f.open(plan("name=b,store=s3,bucket=bk2,size=1M")).store();
        a.close(); // what the volumes do first, at shutdown
        b.close();
        f.close();
        f.close();
        assertThat(parts.events).containsExactly("connect bk1", "own a/", "stripe a/", "connect bk2", "own b/", "stripe b/",
                "stripe close a/", "stripe close b/", "release b/", "release a/", "objects close bk1", "objects close bk2");
    }
}
