import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3PutBench: what an S3 endpoint itself takes in, PUTting fixed-size objects from N threads for a
 * while, with the AWS SDK v2 Blockhaus bundles (its default HTTP client) and the same client settings
 * a Ceph 16 RGW needs (path-style, checksums only WHEN_REQUIRED). deploy/bench/s3-nbd.sh runs it
 * beside the sequential-write workload on an s3 export: if Blockhaus writes a volume nearly as fast
 * as this, the endpoint is the limit, not Blockhaus.
 *
 * Run (a single-file program on the server jar's classpath; credentials from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY):
 *   deploy/bin/jdk25 java -cp server/target/blockhaus-server.jar deploy/bench/S3PutBench.java \
 *       --endpoint http://127.0.0.1:PORT --bucket B [--prefix put-bench/] [--object-size 4194304]
 *       [--parallel 8] [--seconds 10] [--region us-east-1] [--delete]
 * Prints one line of JSON: objects, bytes, seconds, mb_s (10^6 bytes/s), p50_ms, p99_ms, parallel,
 * object_size. Keys are PREFIX + a counter; with --delete they are deleted afterwards (a memstore
 * OSD holds them in RAM). Each thread writes its own random buffer (seeded, so runs are alike).
 * server/src/test/java/io/blockhaus/s3/S3PutBenchTest.java runs it against the RGW test fixture.
 */
public final class S3PutBench {
    public static void main(String[] args) throws Exception {
        String endpoint = null, bucket = null, prefix = "put-bench/", region = "us-east-1";
        int objectSize = 4 << 20, parallel = 8;
        double seconds = 10;
        boolean delete = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--endpoint" -> endpoint = args[++i];
                case "--bucket" -> bucket = args[++i];
                case "--prefix" -> prefix = args[++i];
                case "--region" -> region = args[++i];
                case "--object-size" -> objectSize = Integer.parseInt(args[++i]);
                case "--parallel" -> parallel = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--delete" -> delete = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (endpoint == null || bucket == null || objectSize < 1 || parallel < 1 || seconds <= 0) {
            throw new IllegalArgumentException("needs --endpoint URL --bucket B (and positive sizes)");
        }
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.of(region))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build()) {
            run(s3, bucket, prefix, objectSize, parallel, (long) (seconds * 1e9), delete);
        }
    }

    private static void run(S3Client s3, String bucket, String prefix, int objectSize, int parallel, long nanos,
                            boolean delete) throws Exception {
        AtomicLong next = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        long t0 = System.nanoTime();
        long deadline = t0 + nanos;
        List<Future<long[]>> workers = new ArrayList<>();
        for (int w = 0; w < parallel; w++) {
            int seed = w;
            workers.add(pool.submit(() -> {
                byte[] data = new byte[objectSize];
                new Random(seed).nextBytes(data);
                long[] lat = new long[1024];
                int n = 0;
                // Every worker PUTs until the deadline: the same steady parallelism a writeback keeps.
                while (System.nanoTime() < deadline) {
                    String key = prefix + String.format("%016x", next.getAndIncrement());
                    long s = System.nanoTime();
                    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(data));
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, 2 * n);
                    }
                    lat[n++] = System.nanoTime() - s;
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        for (Future<long[]> f : workers) {
            latencies.add(f.get());
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        long objects = all.length;
        long bytes = objects * objectSize;
        System.out.printf("{\"objects\": %d, \"bytes\": %d, \"seconds\": %.3f, \"mb_s\": %.1f, \"p50_ms\": %.1f,"
                        + " \"p99_ms\": %.1f, \"parallel\": %d, \"object_size\": %d}%n", objects, bytes, elapsed,
                bytes / elapsed / 1e6, pct(all, 0.50) / 1e6, pct(all, 0.99) / 1e6, parallel, objectSize);
        if (delete) {
            for (long i = 0; i < next.get(); i++) {
                String key = prefix + String.format("%016x", i);
                s3.deleteObject(b -> b.bucket(bucket).key(key));
            }
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }
}
