import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.S3Settings;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3EndpointBench: what an S3 endpoint itself does, without Blockhaus: N threads PUT fixed-size
 * objects for a while, then (with --get-seconds) N threads GET those objects back for a while,
 * with the AWS SDK v2 Blockhaus bundles (its default HTTP client) and the client settings a Ceph 16
 * RGW needs (path-style, checksums only WHEN_REQUIRED), then (with --rget-seconds) M threads make
 * ranged GETs of --rget-size bytes at random aligned offsets inside those objects. deploy/bench/s3-nbd.sh
 * runs it beside its NBD workloads on an s3 export: if Blockhaus writes (reads) a volume nearly as
 * fast as this, the endpoint is the limit, not Blockhaus.
 *
 * The ranged phase is what an uncached 4 KiB random read costs Blockhaus: each miss is one ranged
 * GET of 4 KiB made by one of the server's NBD worker threads (max(8, 4 x cores)), so it goes through
 * Blockhaus's own io.blockhaus.s3.objects.AwsObjectStore.getRange (the Apache 5 client, standard
 * retries, --request-timeout per attempt and per call as --s3-request-timeout): the same client,
 * request and body copy, minus the server around it.
 *
 * Run (a single-file program on the server jar's classpath; credentials from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY):
 *   deploy/bin/jdk25 java -cp server/target/blockhaus-server.jar deploy/bench/S3EndpointBench.java \
 *       --endpoint http://127.0.0.1:PORT --bucket B [--prefix endpoint-bench/] [--object-size 4194304]
 *       [--parallel 8] [--seconds 10] [--get-seconds 0] [--rget-seconds 0] [--rget-parallel 8]
 *       [--rget-size 4096] [--request-timeout 5] [--region us-east-1] [--delete]
 * Prints one line of JSON per phase: op (put, get, rget), objects (requests: whole objects for put
 * and get, ranges for rget), bytes, seconds, mb_s (10^6 bytes/s), p50_ms, p99_ms, parallel,
 * object_size, then ops_s (requests/s), mean_ms and request_size (bytes per request: object_size
 * for put and get). Keys are PREFIX + a counter; with --delete they are deleted at the end (a
 * memstore OSD holds them in RAM). Each thread PUTs its own seeded random buffer; each rget thread
 * draws its keys and offsets from its own Random seeded with its number.
 * server/src/test/java/io/blockhaus/s3/S3EndpointBenchTest.java runs it against the RGW test fixture.
 */
public final class S3EndpointBench {
    public static void main(String[] args) throws Exception {
        String endpoint = null, bucket = null, prefix = "endpoint-bench/", region = "us-east-1";
        int objectSize = 4 << 20, parallel = 8, rgetParallel = 8, rgetSize = 4096;
        double seconds = 10, getSeconds = 0, rgetSeconds = 0, requestTimeout = 5;
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
                case "--get-seconds" -> getSeconds = Double.parseDouble(args[++i]);
                case "--rget-seconds" -> rgetSeconds = Double.parseDouble(args[++i]);
                case "--rget-parallel" -> rgetParallel = Integer.parseInt(args[++i]);
                case "--rget-size" -> rgetSize = Integer.parseInt(args[++i]);
                case "--request-timeout" -> requestTimeout = Double.parseDouble(args[++i]);
                case "--delete" -> delete = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (endpoint == null || bucket == null || objectSize < 1 || parallel < 1 || seconds <= 0 || getSeconds < 0
                || rgetSeconds < 0 || rgetParallel < 1 || rgetSize < 1 || rgetSize > objectSize || requestTimeout <= 0) {
            throw new IllegalArgumentException("needs --endpoint URL --bucket B (and positive sizes)");
        }
        String p = prefix, bk = bucket;   // effectively final copies for the lambdas
        int size = objectSize;
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.of(region))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build()) {
            byte[][] data = new byte[parallel][size];
            for (int w = 0; w < parallel; w++) {
                new Random(w).nextBytes(data[w]);
            }
            AtomicLong next = new AtomicLong();
            phase("put", parallel, seconds, size, size, (w) -> {
                long k = next.getAndIncrement();
                s3.putObject(b -> b.bucket(bk).key(key(p, k)), RequestBody.fromBytes(data[(int) w]));
                return size;
            });
            long written = next.get();
            if (getSeconds > 0 && written > 0) {
                AtomicLong reads = new AtomicLong();
                phase("get", parallel, getSeconds, size, size, (w) -> {
                    long k = reads.getAndIncrement() % written;   // every object in turn: no client-side reuse
                    return s3.getObjectAsBytes(b -> b.bucket(bk).key(key(p, k))).asByteArray().length;
                });
            }
            if (rgetSeconds > 0 && written > 0) {
                S3Settings settings = new S3Settings(Optional.of(URI.create(endpoint)), region, true, bucket,
                        Duration.ofNanos((long) (requestTimeout * 1e9)));
                try (AwsObjectStore store = new AwsObjectStore(settings)) {
                    rangedGets(store, p, written, size, rgetSize, rgetParallel, rgetSeconds);
                }
            }
            if (delete) {
                for (long k = 0; k < written; k++) {
                    long kk = k;
                    s3.deleteObject(b -> b.bucket(bk).key(key(p, kk)));
                }
            }
        }
    }

    /**
     * Ranged GETs of {@code rangeSize} bytes, aligned to it (as the server's pages are), at random
     * offsets in random objects among the {@code written} ones: the requests an uncached random read
     * makes, one at a time per thread as each NBD worker thread does.
     */
    private static void rangedGets(AwsObjectStore store, String prefix, long written, int objectSize, int rangeSize,
            int parallel, double seconds) throws Exception {
        long slots = objectSize / rangeSize;   // whole ranges inside one object
        Random[] random = new Random[parallel];
        ByteBuffer[] buffer = new ByteBuffer[parallel];
        for (int w = 0; w < parallel; w++) {
            random[w] = new Random(w);
            buffer[w] = ByteBuffer.allocate(rangeSize);
        }
        phase("rget", parallel, seconds, objectSize, rangeSize, (w) -> {
            Random r = random[(int) w];
            long k = r.nextLong(written);
            long offset = r.nextLong(slots) * rangeSize;
            ByteBuffer dst = buffer[(int) w].clear();
            if (!store.getRange(key(prefix, k), offset, dst) || dst.hasRemaining()) {
                throw new IllegalStateException("ranged GET of " + key(prefix, k) + " at " + offset + " read "
                        + dst.position() + " of " + rangeSize + " bytes");
            }
            return rangeSize;
        });
    }

    private static String key(String prefix, long k) {
        return prefix + String.format("%016x", k);
    }

    /**
     * Runs {@code op} (given the worker's number, returning the bytes it moved) on {@code parallel}
     * threads until {@code seconds} have passed, each thread one request at a time: the steady
     * parallelism a writeback or a read-ahead keeps. Prints the phase's JSON line: the fields the
     * first phases printed, in their order (s3-nbd.sh and S3EndpointBenchTest read them by name),
     * then the ones added for the ranged phase.
     */
    private static void phase(String name, int parallel, double seconds, int objectSize, int requestSize,
            LongUnaryOperator op)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (seconds * 1e9);
        AtomicLong bytes = new AtomicLong();
        List<Future<long[]>> workers = new ArrayList<>();
        for (int w = 0; w < parallel; w++) {
            long worker = w;
            workers.add(pool.submit(() -> {
                long[] lat = new long[1024];
                int n = 0;
                while (System.nanoTime() < deadline) {
                    long s = System.nanoTime();
                    bytes.addAndGet(op.applyAsLong(worker));
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, 2 * n);
                    }
                    lat[n++] = System.nanoTime() - s;
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        List<long[]> latencies = new ArrayList<>();
        for (Future<long[]> f : workers) {
            latencies.add(f.get());
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        System.out.printf("{\"op\": \"%s\", \"objects\": %d, \"bytes\": %d, \"seconds\": %.3f, \"mb_s\": %.1f,"
                        + " \"p50_ms\": %.1f, \"p99_ms\": %.1f, \"parallel\": %d, \"object_size\": %d,"
                        + " \"ops_s\": %.1f, \"mean_ms\": %.2f, \"request_size\": %d}%n", name,
                all.length, bytes.get(), elapsed, bytes.get() / elapsed / 1e6, pct(all, 0.50) / 1e6,
                pct(all, 0.99) / 1e6, parallel, objectSize, all.length / elapsed,
                all.length == 0 ? 0 : Arrays.stream(all).average().orElse(0) / 1e6, requestSize);
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }
}
