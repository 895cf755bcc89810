package io.blockhaus.s3.objects;

import io.blockhaus.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on {@link AwsObjectStore} against S3Proxy 2.6.0 on loopback. Its transient backend
 * ignores {@code If-None-Match}, so create-only puts overwrite there: the suite expects exactly that.
 */
class AwsObjectStoreContractTest extends ObjectStoreContractTest {
    private static S3ProxyServer server;

    @BeforeAll
    static void startServer() {
        server = new S3ProxyServer();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected ObjectStore open() {
        return server.objectStore();
    }

    @Override
    protected boolean honoursCreateOnly() {
        return false;
    }
}
