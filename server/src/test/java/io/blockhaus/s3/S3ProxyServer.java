package io.blockhaus.s3;

import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.S3Settings;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * An S3 implementation for tests: S3Proxy in this JVM on a loopback port, over jclouds'
 * in-memory ("transient") blob store, with SigV4 authentication by keys made up per instance
 * and one bucket already created.
 *
 * <p>{@link #stop()} and {@link #start()} play an outage: the HTTP front goes away and comes back
 * on the same port with the same objects. The transient store lives in the {@link BlobStore}
 * object, not in the HTTP server, so only the S3Proxy front is rebuilt; the blob store is kept.
 *
 * <p>What S3Proxy 2.6.0 does with the transient backend (seen here; docs/s3.md records it): it
 * ignores {@code If-None-Match: *} on PUT and overwrites, so
 * {@link io.blockhaus.s3.objects.ObjectStore#refusesSecondCreate} answers false on it.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String BUCKET = "blockhaus-test";
    public static final String REGION = "us-east-1";

    private final BlobStoreContext context;
    private final BlobStore blobs;
    private final String accessKey;
    private final String secretKey;
    private S3Proxy proxy;
    private int port;

    /** Starts on a free loopback port, with an empty bucket {@link #BUCKET}. */
    public S3ProxyServer() {
        SecureRandom random = new SecureRandom();
        this.accessKey = "AK" + HexFormat.of().formatHex(random.generateSeed(9)).toUpperCase();
        this.secretKey = HexFormat.of().formatHex(random.generateSeed(20));
        this.context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                .build(BlobStoreContext.class);
        this.blobs = context.getBlobStore();
        blobs.createContainerInLocation(null, BUCKET);
        this.port = 0;
        start();
    }

    /** Starts (again) the HTTP front, on the port of the first start. */
    public synchronized void start() {
        if (proxy != null) {
            return;
        }
        S3Proxy p = S3Proxy.builder()
                .blobStore(blobs)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        try {
            p.start(); // Jetty's start returns once the connector listens
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not start on port " + port, e);
        }
        if (!"STARTED".equals(p.getState())) {
            throw new IllegalStateException("S3Proxy is " + p.getState() + " after start");
        }
        port = p.getPort();
        proxy = p;
    }

    /** Stops the HTTP front (connections are refused from now on); the objects are kept. */
    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        }
        proxy = null;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Path-style settings for {@link #BUCKET} with the given per-request timeout. */
    public S3Settings settings(Duration requestTimeout) {
        return new S3Settings(Optional.of(endpoint()), REGION, true, BUCKET, requestTimeout);
    }

    public S3Settings settings() {
        return settings(Duration.ofSeconds(5));
    }

    public AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    }

    /** A client of the bucket (the caller closes it). */
    public AwsObjectStore objectStore() {
        return new AwsObjectStore(settings(), credentials());
    }

    /** The environment a child process needs to reach the bucket through the SDK's default credentials. */
    public Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey, "AWS_REGION", REGION);
    }

    @Override
    public synchronized void close() {
        stop();
        context.close();
    }
}
