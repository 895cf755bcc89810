package io.blockhaus.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * deploy/bench/S3EndpointBench.java, the endpoint's own PUT and GET throughput beside
 * deploy/bench/s3-nbd.sh's NBD workloads, still compiles against the SDK we ship and measures what
 * it says: run as a single-file program for one second of PUTs and one of GETs against the RGW
 * fixture, each phase's JSON counts whole objects (bytes = objects x object size), and with
 * --delete it leaves the bucket empty.
 */
@ExtendWith(RgwFixture.class)
class S3EndpointBenchTest {
    private static final long SIZE = 1 << 20;

    @Test
    void putsThenGetsObjectsForTheGivenTimesAndReportsThroughput(RgwBucket bucket, @TempDir Path dir)
            throws Exception {
        Path source = RgwFixture.repositoryFile("deploy/bench/S3EndpointBench.java");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = dir.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                source.toString(), "--endpoint", bucket.rgw().endpoint().toString(), "--bucket", bucket.name(),
                "--object-size", Long.toString(SIZE), "--parallel", "2", "--seconds", "1", "--get-seconds", "1",
                "--delete"))
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(bucket.rgw().childEnv());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("S3EndpointBench did not finish in 120 s:\n" + Files.readString(out));
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(output).isZero();
        for (String op : List.of("put", "get")) {
            String json = output.lines().filter(l -> l.startsWith("{\"op\": \"" + op + "\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + op + " line in:\n" + output));
            long objects = number(json, "objects");
            assertThat(objects).as(json).isPositive();
            assertThat(number(json, "bytes")).as("whole objects: %s", json).isEqualTo(objects * SIZE);
            assertThat(number(json, "parallel")).as(json).isEqualTo(2);
        }
        try (S3Client s3 = bucket.rgw().newClient()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(bucket.name())).contents()).as("--delete removed them").isEmpty();
        }
    }

    /** A number field of the program's flat JSON line. */
    private static long number(String json, String field) {
        String tail = json.substring(json.indexOf("\"" + field + "\": ") + field.length() + 4);
        int end = tail.indexOf(',') >= 0 ? tail.indexOf(',') : tail.indexOf('}');
        return (long) Double.parseDouble(tail.substring(0, end).trim());
    }
}
