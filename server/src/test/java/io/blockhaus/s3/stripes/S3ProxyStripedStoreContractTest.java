package io.blockhaus.s3.stripes;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.BackingStoreContractTest;
import io.blockhaus.s3.S3ProxyServer;
import io.blockhaus.s3.objects.AwsObjectStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The BackingStore contract on {@link StripedStore} (objects of four pages) over S3Proxy on loopback, through the AWS SDK. */
class S3ProxyStripedStoreContractTest extends BackingStoreContractTest {
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
    protected BackingStore create(long size) {
        return MemoryStripedStoreContractTest.open(bucket, size, 4 * MemoryStripedStoreContractTest.PAGE);
    }

    @Override
    protected boolean newStoreReportsHoles() {
        return false; // holes are whole objects of four pages: StripedStoreTest checks them
    }

    @Override
    protected boolean punchDeallocates() {
        return false;
    }

    @Override
    protected boolean collapsesAndInserts() {
        return false;
    }
}
