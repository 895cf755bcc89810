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
 * deploy/bench/S3EndpointBench.java, the endpoint's own PUT, GET and ranged GET throughput beside
 * deploy/bench/s3-nbd.sh's NBD workloads, still compiles against the SDK (and AwsObjectStore) we ship
 * and measures what it says: run as a single-file program for one second of PUTs, one of GETs and
 * one of 4 KiB ranged GETs against the RGW fixture, the put and get lines count whole objects
 * (bytes = objects x object size), the rget line whole ranges (bytes = requests x 4096) at its own
 * thread count, and with --delete it leaves the bucket empty.
 */
@ExtendWith(RgwFixture.class)
class S3EndpointBenchTest {
    private static final long SIZE = 1 << 20;
    private static final long RANGE = 4096;

    @Test
    void putsThenGetsObjectsThenRangesForTheGivenTimesAndReportsThroughput(RgwBucket bucket, @TempDir Path dir)
            throws Exception {
        Path source = RgwFixture.repositoryFile("deploy/bench/S3EndpointBench.java");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path out = dir.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                source.toString(), "--endpoint", bucket.rgw().endpoint().toString(), "--bucket", bucket.name(),
                "--object-size", Long.toString(SIZE), "--parallel", "2", "--seconds", "1", "--get-seconds", "1",
                "--rget-seconds", "1", "--rget-parallel", "3", "--rget-size", Long.toString(RANGE), "--delete"))
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
        for (String op : List.of("put", "get", "rget")) {
            String json = output.lines().filter(l -> l.startsWith("{\"op\": \"" + op + "\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + op + " line in:\n" + output));
            boolean ranged = op.equals("rget");
            long requests = number(json, "objects");
            assertThat(requests).as(json).isPositive();
            assertThat(number(json, "request_size")).as(json).isEqualTo(ranged ? RANGE : SIZE);
            assertThat(number(json, "bytes")).as("whole requests: %s", json)
                    .isEqualTo(requests * (ranged ? RANGE : SIZE));
            assertThat(number(json, "object_size")).as(json).isEqualTo(SIZE);
            assertThat(number(json, "parallel")).as(json).isEqualTo(ranged ? 3 : 2);
            assertThat(decimal(json, "mean_ms")).as(json).isPositive();
        }
        try (S3Client s3 = bucket.rgw().newClient()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(bucket.name())).contents()).as("--delete removed them").isEmpty();
        }
    }

    /** A whole-number field of the program's flat JSON line. */
    private static long number(String json, String field) {
        return (long) decimal(json, field);
    }

    /** A number field of the program's flat JSON line (mean_ms may be under 1 on loopback). */
    private static double decimal(String json, String field) {
        String tail = json.substring(json.indexOf("\"" + field + "\": ") + field.length() + 4);
        int end = tail.indexOf(',') >= 0 ? tail.indexOf(',') : tail.indexOf('}');
        return Double.parseDouble(tail.substring(0, end).trim());
    }
}
