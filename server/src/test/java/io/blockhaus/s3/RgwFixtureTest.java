package io.blockhaus.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The RGW fixture gives a working gateway (a real Ceph cluster, see {@link RgwFixture}) with what
 * issue 16 relies on: objects put are read back byte for byte and listed, and a create-only
 * PutObject ({@code If-None-Match: *}) of a key that exists is refused with 412, the primitive
 * ownership's fencing is built on.
 */
@ExtendWith(RgwFixture.class)
class RgwFixtureTest {

    @Test
    void putGetAndListThroughTheSdkWithTheFixturesSettings(RgwBucket bucket) {
        long seed = System.nanoTime();
        System.out.println("RgwFixtureTest seed " + seed + " on " + bucket.rgw().origin());
        byte[] big = new byte[(4 << 20) + 123];          // more than one RGW chunk (4 MiB), odd size
        new Random(seed).nextBytes(big);
        try (S3Client s3 = bucket.rgw().newClient()) {
            s3.putObject(b -> b.bucket(bucket.name()).key("data/0000000000000000"), RequestBody.fromBytes(big));
            s3.putObject(b -> b.bucket(bucket.name()).key("data/0000000000000001"), RequestBody.fromString("x"));
            s3.putObject(b -> b.bucket(bucket.name()).key("manifest/00000000000000000001"), RequestBody.fromString("{}"));

            assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("data/0000000000000000")).asByteArray())
                    .as("4 MiB + 123 random bytes (seed %d) read back", seed).isEqualTo(big);
            byte[] range = s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("data/0000000000000000")
                    .range("bytes=4194300-4194309")).asByteArray();
            assertThat(range).as("a ranged get across the 4 MiB chunk boundary")
                    .isEqualTo(java.util.Arrays.copyOfRange(big, 4194300, 4194310));
            assertThat(s3.listObjectsV2(b -> b.bucket(bucket.name()).prefix("data/")).contents())
                    .extracting(S3Object::key, S3Object::size)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("data/0000000000000000", (long) big.length),
                            org.assertj.core.groups.Tuple.tuple("data/0000000000000001", 1L));
        }
    }

    @Test
    void aSecondCreateOnlyPutOfTheSameKeyIsRefusedWith412(RgwBucket bucket) {
        String key = "manifest/00000000000000000007";
        try (S3Client s3 = bucket.rgw().newClient()) {
            s3.putObject(b -> b.bucket(bucket.name()).key(key).ifNoneMatch("*"), RequestBody.fromString("first owner"));

            assertThatThrownBy(() -> s3.putObject(b -> b.bucket(bucket.name()).key(key).ifNoneMatch("*"),
                    RequestBody.fromString("second owner")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode())
                            .as("RGW refuses to create a key that exists: %s", e.getMessage()).isEqualTo(412));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key(key)).asString(StandardCharsets.UTF_8))
                    .as("the first create-only write stays").isEqualTo("first owner");

            s3.putObject(b -> b.bucket(bucket.name()).key(key + "-other").ifNoneMatch("*"),
                    RequestBody.fromString("another key"));
            assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key(key + "-other"))
                    .asString(StandardCharsets.UTF_8)).as("a create-only put of a new key succeeds")
                    .isEqualTo("another key");
        }
    }

    @Test
    void eachTestGetsItsOwnFreshBucket(Rgw rgw, RgwBucket bucket) {
        assertThat(bucket.rgw()).isEqualTo(rgw);
        assertThat(bucket.name()).matches("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]").startsWith("eachtestgetsitsownfreshbucket-");
        try (S3Client s3 = rgw.newClient()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(bucket.name())).contents()).as("a new bucket is empty").isEmpty();
            String other = rgw.createBucket("other");
            s3.putObject(b -> b.bucket(other).key("k"), RequestBody.fromString("v"));
            new RgwBucket(rgw, other).delete();
            assertThatThrownBy(() -> s3.headBucket(b -> b.bucket(other)))
                    .as("delete() empties the bucket and deletes it").isInstanceOf(NoSuchBucketException.class);
        }
    }
}
