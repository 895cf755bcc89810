package io.blockhaus.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * What the RGW fixture derives without a gateway (so it runs everywhere): bucket names S3 accepts
 * whatever a test is called, and micro-Ceph's s3.env read back.
 */
class RgwNamesTest {

    @Test
    void bucketNamesAreValidWhateverTheTestIsCalled() {
        assertThat(Rgw.bucketName("")).matches("bh-[0-9a-f-]{12}");
        assertThat(Rgw.bucketName("Some_Test(name) 1")).matches("some-test-name-1-[0-9a-f-]{12}");
        String longName = Rgw.bucketName("x".repeat(50) + "-" + "y".repeat(50));
        assertThat(longName).hasSizeLessThanOrEqualTo(63).matches("x{50}-[0-9a-f-]{12}");
    }

    @Test
    void microCephsEnvFileIsParsedAndAMissingKeyIsNamed() {
        assertThat(MicroCeph.parseEnv("S3_ENDPOINT=http://127.0.0.1:5\nAWS_ACCESS_KEY_ID=A\nAWS_SECRET_ACCESS_KEY=b=c\n"))
                .containsEntry("S3_ENDPOINT", "http://127.0.0.1:5").containsEntry("AWS_SECRET_ACCESS_KEY", "b=c");
        assertThatThrownBy(() -> MicroCeph.parseEnv("S3_ENDPOINT=http://x\n"))
                .hasMessageContaining("AWS_ACCESS_KEY_ID");
    }
}
