package io.blockhaus.s3.stripes;

import io.blockhaus.engine.FsxModelTest;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.s3.S3ProxyServer;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * The engine's model-based test (FsxModelTest) on an s3 volume: every engine operation against a
 * byte array, with the page cache far smaller than the volume so writeback and re-reads go
 * through the striped store all the time. Objects of 16 pages, so partial writeback runs are
 * read-modify-writes; a staging bound of 8 objects, so uploads also start under pressure.
 * Collapse and insert are expected to answer ENOTSUP.
 *
 * <p>Seed: {@code -Dfsx.seed=N} replays; {@code -Dfsx.s3.ops=N} sets the length ({@code -Dfsx.s3proxy.ops=N}
 * over S3Proxy, short by default: each operation there costs a few ms of HTTP on loopback).
 */
class StripedStoreFsxTest {
    static final int PAGE = 4096;
    static final int OBJECT = 16 * PAGE;
    static final StripedStoreOptions OPTIONS = new StripedStoreOptions(4, 8L * OBJECT, Duration.ofSeconds(20));

    static LongFunction<BackingStore> volumes(ObjectStore bucket) {
        return size -> new StripedStore(bucket, "fsx-" + UUID.randomUUID() + "/", new VolumeGeometry(size, OBJECT, PAGE),
                TestOwnership.owner(), OPTIONS);
    }

    static long seed() {
        Long fixed = Long.getLong("fsx.seed");
        return fixed != null ? fixed : new SplittableRandom().nextLong();
    }

    @ParameterizedTest(name = "{0}, backgroundThreads={1}")
    @CsvSource({"TWO_STATE, true", "RANGE, false"})
    void overAMemoryBucket(LockPolicy policy, boolean background) {
        FsxModelTest.run(policy, background, seed(), Integer.getInteger("fsx.s3.ops", 30_000),
                volumes(new MemoryObjectStore()), false);
    }

    @Test
    void overS3Proxy() {
        try (S3ProxyServer server = new S3ProxyServer(); AwsObjectStore bucket = server.objectStore()) {
            FsxModelTest.run(LockPolicy.RANGE, true, seed(), Integer.getInteger("fsx.s3proxy.ops", 600),
                    volumes(bucket), false);
        }
    }
}
