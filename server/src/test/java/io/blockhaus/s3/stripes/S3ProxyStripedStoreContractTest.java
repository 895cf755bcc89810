package io.blockhaus.s3.stripes;

import io.blockhaus.s3.S3ProxyServer;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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
}
