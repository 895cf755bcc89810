package io.blockhaus.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * deploy/bench/S3PutBench.java, the endpoint's own PUT throughput beside deploy/bench/s3-nbd.sh's
 * NBD workloads, still compiles against the SDK we ship and measures what it says: run as a
 * single-file program for one second against the RGW fixture, its JSON counts whole objects
 * (bytes = objects x object size), and with --delete it leaves the bucket empty.
 */
@ExtendWith(RgwFixture.class)
class S3PutBenchTest {

    @Test
    void putsObjectsForTheGivenTimeAndReportsThroughput(RgwBucket bucket, @TempDir Path dir) throws Exception {
        Path source = RgwFixture.repositoryFile("deploy/bench/S3PutBench.java");
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                source.toString(), "--endpoint", bucket.rgw().endpoint().toString(), "--bucket", bucket.name(),
                "--object-size", "1048576", "--parallel", "2", "--seconds", "1", "--delete"));
        Path out = dir.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(bucket.rgw().childEnv());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("S3PutBench did not finish in 120 s:\n" + Files.readString(out));
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(output).isZero();
        String json = output.lines().filter(l -> l.startsWith("{\"objects\"")).findFirst().orElseThrow(
                () -> new AssertionError("no result line in:\n" + output));
        long objects = number(json, "objects");
        assertThat(objects).as(json).isPositive();
        assertThat(number(json, "bytes")).as(json).isEqualTo(objects * 1048576);
        assertThat(number(json, "parallel")).as(json).isEqualTo(2);
        try (S3Client s3 = bucket.rgw().newClient()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(bucket.name())).contents()).as("--delete removed them").isEmpty();
        }
    }

    private static long number(String json, String field) {
        String tail = json.substring(json.indexOf("\"" + field + "\": ") + field.length() + 4);
        return (long) Double.parseDouble(tail.substring(0, tail.indexOf(tail.contains(",") ? ',' : '}')).trim());
    }
}
