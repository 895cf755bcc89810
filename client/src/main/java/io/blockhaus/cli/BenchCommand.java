package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.VolumeHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bhctl bench VOLUME}: THREADS workers, each with its own handle and a mapped window of its
 * own, run a random mix of {@link BenchKind}s on random blocks of the region for a duration, one
 * call at a time each; then per kind: calls, calls per second, errors and latency percentiles.
 * Workers stop on a deadline they read themselves (no sleeping coordinator). The random choice
 * is seeded (--seed), and the seed printed, so a run's sequence of calls can be repeated.
 */
@Command(name = "bench", description = "Mixed load (buffered, direct, fault, fallocate, fadvise) over threads; ops/s and latency per kind.")
final class BenchCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume (its bytes in the region are overwritten).")
    String volume;

    @Option(names = {"-t", "--threads"}, defaultValue = "4", description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-d", "--duration"}, defaultValue = "5s", converter = DurationConverter.class, paramLabel = "TIME",
            description = "How long: 5s, 500ms, 1m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = {"-b", "--block-size"}, defaultValue = "4K", converter = Sizes.class, paramLabel = "SIZE",
            description = "Bytes per call (default: ${DEFAULT-VALUE}).")
    long blockSize;

    @Option(names = "--region", defaultValue = "64M", converter = Sizes.class, paramLabel = "SIZE",
            description = "The calls fall in the first SIZE bytes of the volume (default: ${DEFAULT-VALUE}, at most the volume).")
    long region;

    @Option(names = "--window", defaultValue = "256K", converter = Sizes.class, paramLabel = "SIZE",
            description = "Each worker's mapped window for faults (default: ${DEFAULT-VALUE}).")
    long window;

    @Option(names = "--kinds", split = ",", paramLabel = "KIND", converter = BenchKinds.class,
            completionCandidates = BenchKinds.class,
            description = "Which kinds to mix (default: all): ${COMPLETION-CANDIDATES}.")
    List<BenchKind> kinds = List.of(BenchKind.values());

    @Option(names = "--seed", description = "Seed of the random choices (default: a random one, printed).")
    Long seed;

    @Mixin
    FormatMixin format;

    /** {@code 5s}, {@code 500ms}, {@code 2m}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text.strip());
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a duration (5s, 500ms, 1m)");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }
    }

    static final class BenchKinds extends KebabNames.Converter<BenchKind> {
        BenchKinds() {
            super(BenchKind.class);
        }
    }

    @Override
    protected int execute() throws java.io.IOException {
        if (threads < 1 || blockSize < 1 || blockSize > ReadCommand.CHUNK || duration.isZero()) {
            throw usage("--threads and --duration must be positive, --block-size 1 byte to 1M");
        }
        long runSeed = seed != null ? seed : new SplittableRandom().nextLong();
        BlockhausClient client = connect();
        long size;
        int page;
        try (VolumeHandle h = client.open(volume)) {
            size = h.stat().sizeBytes();
            page = h.pageSize();
        }
        long span = Math.min(region, size) / blockSize * blockSize;
        long win = Math.max(page, Math.min(window, span) / page * page);
        if (span < blockSize || span < win) {
            throw usage("the region (" + span + " bytes) is smaller than a block or the window");
        }
        List<Map<BenchKind, LatencySamples>> perWorker = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        long deadline = t0 + duration.toNanos();
        for (int i = 0; i < threads; i++) {
            Map<BenchKind, LatencySamples> mine = new EnumMap<>(BenchKind.class);
            kinds.forEach(k -> mine.put(k, new LatencySamples()));
            perWorker.add(mine);
            SplittableRandom rnd = new SplittableRandom(runSeed + i);
            long windowAt = (long) i * win % (span - win + 1) / page * page;
            workers.add(Thread.ofPlatform().name("bench-" + i).start(() -> {
                try {
                    work(client, rnd, windowAt, win, span, deadline, mine);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while the workers ran");
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!failures.isEmpty() && failures.getFirst() instanceof BlockhausException e) {
            throw e;
        } else if (!failures.isEmpty()) {
            throw new IllegalStateException("a bench worker failed", failures.getFirst());
        }
        format.print(report(perWorker, seconds, runSeed, span), out());
        return EXIT_OK;
    }

    private void work(BlockhausClient client, SplittableRandom rnd, long windowAt, long win, long span, long deadline,
            Map<BenchKind, LatencySamples> samples) {
        byte[] payload = new byte[(int) blockSize];
        rnd.nextBytes(payload);
        try (VolumeHandle h = client.open(volume); MappedRegion m = h.map(windowAt, win, true)) {
            BenchKind.Target target = new BenchKind.Target(h, m, payload);
            while (System.nanoTime() < deadline) {
                BenchKind kind = kinds.get(rnd.nextInt(kinds.size()));
                long offset = rnd.nextLong(span / blockSize) * blockSize;
                long start = System.nanoTime();
                try {
                    kind.run(target, rnd, offset);
                    samples.get(kind).add(System.nanoTime() - start);
                } catch (BlockhausException e) {
                    if (!e.retryable()) {
                        throw e; // a bench that fails for a reason that will not pass is a broken bench
                    }
                    samples.get(kind).error(); // a lock wait that timed out under the load: counted, not fatal
                }
            }
        }
    }

    private Report report(List<Map<BenchKind, LatencySamples>> perWorker, double seconds, long runSeed, long span) {
        Report.Table t = new Report.Table("kind", "ops", "ops_per_s", "errors", "p50_us", "p90_us", "p99_us", "max_us");
        long total = 0;
        for (BenchKind k : kinds.stream().distinct().toList()) {
            LatencySamples all = new LatencySamples();
            perWorker.forEach(w -> all.addAll(w.get(k)));
            total += all.count();
            t.row(KebabNames.name(k), all.count(), Report.oneDecimal(all.count() / seconds), all.errors(),
                    micros(all.percentile(0.50)), micros(all.percentile(0.90)), micros(all.percentile(0.99)),
                    micros(all.percentile(1.0)));
        }
        return new Report().put("volume", volume).put("threads", threads).put("seconds", Report.oneDecimal(seconds))
                .put("block_size", blockSize).put("region_bytes", span).put("seed", runSeed).put("total_ops", total)
                .put("total_ops_per_s", Report.oneDecimal(total / seconds)).put("kinds", t);
    }

    private static Object micros(long nanos) {
        return Report.oneDecimal(nanos / 1000.0);
    }
}
