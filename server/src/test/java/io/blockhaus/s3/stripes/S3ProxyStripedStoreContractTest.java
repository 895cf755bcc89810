package io.blockhaus.s3.stripes;

import io.blockhaus.s3.S3ProxyServer;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The BackingStore contract on {@link StripedStore} (objects of four pages) over S3Proxy on loopback, through the AWS SDK. */
class S3ProxyStripedStoreContractTest extends StripedStoreContract {
    private static S3ProxyServer server;
    private static AwsObjectStore bucket;

    @BeforeAll
    static void startServer() {
        server = new S3ProxyServer();
        bucket = server.objectStore();
    }

    @AfterAll
    static void stopServer() {
        bucket.close();
        server.close();
    }

    @Override
    protected ObjectStore bucket() {
        return bucket;
    }

    @Override
    protected int objectSize() {
        return 4 * PAGE;
    }

    /** Over the wire, a flush leaves exactly the objects docs/s3.md names, short at the volume's end. */
    @Test
    void aFlushedVolumeIsStoredUnderItsDataKeysAsTheLayoutSays() {
        long size = 2L * objectSize() + 100;
        byte[] data = StripedStoreTest.pattern((int) size, 17);
        try (StripedStore s = new StripedStore(bucket, "layout/", new VolumeGeometry(size, objectSize(), PAGE),
                TestOwnership.owner(), OPTIONS)) {
            s.write(0, ByteBuffer.wrap(data));
            s.force();
        }
        assertThat(bucket.list("layout/", null, 10)).extracting(o -> o.key() + "=" + o.size()).containsExactly(
                "layout/data/0000000000000000=" + objectSize(),
                "layout/data/0000000000000001=" + objectSize(),
                "layout/data/0000000000000002=100");
        assertThat(bucket.get("layout/data/0000000000000002").orElseThrow())
                .isEqualTo(Arrays.copyOfRange(data, 2 * objectSize(), (int) size));
    }
}
