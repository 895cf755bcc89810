package io.blockhaus.s3;

import io.blockhaus.s3.objects.S3Settings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One RADOS Gateway the tests may use, as {@link RgwFixture} found or started it: where it is and
 * the keys of its S3 user. Everything a test needs to reach it is derived here, so no test has to
 * know Ceph 16's quirks: the SDK's default request checksums (CRC32 trailers, aws-chunked) are
 * answered 400 by this RGW, so clients compute and validate checksums only WHEN_REQUIRED; buckets
 * are addressed path-style (RGW on 127.0.0.1 has no DNS names for virtual hosts).
 *
 * @param endpoint  the gateway's base URL, e.g. {@code http://127.0.0.1:40123}
 * @param accessKey the S3 user's access key id
 * @param secretKey the S3 user's secret key
 * @param origin    where it came from, for messages: the environment variables, or the micro-Ceph directory
 */
public record Rgw(URI endpoint, String accessKey, String secretKey, String origin) {
    /** The region every non-AWS store accepts; RGW ignores it but SigV4 signs it. */
    public static final String REGION = "us-east-1";

    /** The region as the SDK's type. */
    public Region region() {
        return Region.of(REGION);
    }

    /** The S3 user's keys, for an in-process SDK client (never through system properties: global state). */
    public AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    }

    /**
     * The environment a child process (a served Blockhaus) needs to reach this gateway: the AWS
     * SDK's default credential sources read these variables.
     */
    public Map<String, String> childEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey, "AWS_REGION", REGION);
    }

    /** The {@code serve} options that point a Blockhaus at this gateway (credentials go in {@link #childEnv()}). */
    public List<String> serveOptions() {
        return List.of("--s3-endpoint", endpoint.toString(), "--s3-region", REGION, "--s3-path-style");
    }

    /** Settings of {@code bucket} on this gateway for an in-process object store. */
    public S3Settings settings(String bucket, Duration requestTimeout) {
        return new S3Settings(Optional.of(endpoint), REGION, true, bucket, requestTimeout);
    }

    /**
     * A new SDK client for this gateway (the caller closes it): path-style, checksums only when an
     * operation requires them.
     */
    public S3Client newClient() {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(region())
                .credentialsProvider(credentials())
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    /**
     * Creates a bucket no other test uses and returns its name: {@code prefix} (lower-cased, cut
     * down to what S3 allows) and a random suffix, 3 to 63 characters of {@code [a-z0-9-]}.
     */
    public String createBucket(String prefix) {
        String name = bucketName(prefix);
        try (S3Client s3 = newClient()) {
            s3.createBucket(b -> b.bucket(name));
        }
        return name;
    }

    static String bucketName(String prefix) {
        String clean = prefix.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("^-+|-+$", "");
        String suffix = UUID.randomUUID().toString().substring(0, 12);
        String head = clean.isEmpty() ? "bh" : clean.substring(0, Math.min(clean.length(), 63 - 1 - suffix.length()));
        return head.replaceAll("-+$", "") + "-" + suffix;
    }
}
