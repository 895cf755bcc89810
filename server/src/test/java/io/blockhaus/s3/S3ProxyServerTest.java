package io.blockhaus.s3;

import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness outage tests rely on, and how {@link AwsObjectStore} reports failures. */
class S3ProxyServerTest {

    @Test
    void aRestartOnTheSamePortKeepsTheObjectsAndAnOutageIsRetryable() {
        try (S3ProxyServer server = new S3ProxyServer();
             AwsObjectStore store = new AwsObjectStore(server.settings(Duration.ofSeconds(2)), server.credentials())) {
            int port = server.port();
            store.put("k", ByteBuffer.wrap(new byte[] {1, 2, 3}));
            server.stop();
            assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(ObjectStoreException.class, e -> {
                assertThat(e.retryable()).as("no answer is retryable").isTrue();
                assertThat(e.httpStatus()).isZero();
            });
            assertThatThrownBy(() -> store.put("k2", ByteBuffer.allocate(1)))
                    .isInstanceOfSatisfying(ObjectStoreException.class, e -> assertThat(e.retryable()).isTrue());
            server.start();
            assertThat(server.port()).isEqualTo(port);
            assertThat(store.get("k")).hasValueSatisfying(b -> assertThat(b).containsExactly(1, 2, 3));
        }
    }

    @Test
    void wrongKeysAreRefusedAndNotRetryable() {
        try (S3ProxyServer server = new S3ProxyServer();
             AwsObjectStore store = new AwsObjectStore(server.settings(),
                     StaticCredentialsProvider.create(AwsBasicCredentials.create(server.accessKey(), "wrong-secret")))) {
            assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(ObjectStoreException.class, e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.httpStatus()).isEqualTo(403);
            });
        }
    }
}
