package io.blockhaus.server;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.metrics.EngineMetrics;
import io.blockhaus.nbd.NbdExports;
import io.blockhaus.nbd.NbdServer;
import io.blockhaus.nbd.NbdServerConfig;
import io.blockhaus.nbd.codec.NbdCommand;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Stream;

/**
 * The start-up warm-up ({@code serve --warmup}): before the front ends listen, the server sends
 * itself NBD traffic for a bounded time, so that the JIT has compiled the request path (Netty's
 * epoll transport, the NBD codec and handler, the engine's hit, miss, reclaim and write paths, the
 * meters) by the time the first client attaches.
 *
 * <p>Why: a JVM starts interpreting. On two cores that a client such as fio shares with the
 * server, a fresh server's 4 KiB random reads climbed for 6-8 s (12-27k IOPS in the first second,
 * 110-167k from the sixth: docs/benchmarks/cold-2026-12-05.md) while the compilers caught up, so a
 * client arriving at start met a server several times slower than the same server a minute later.
 * JDK 25's AOT cache holds class data and profiles, not compiled code, and did not close that gap
 * (cold2-2026-12-05.md). Running the hot paths before anyone depends on them does: the time is
 * spent while nobody waits on a reply. The price is readiness: the listeners open after the
 * warm-up (about its duration plus setting up and tearing down). On by default for
 * {@value WarmupOptions#DEFAULT_SECONDS} s ({@link WarmupOptions} says why, with the figures);
 * {@code --warmup 0} turns it off.
 *
 * <p>What it touches, and what not:
 * <ul>
 * <li>Its own {@link Engine} with a cache of at most {@value #MAX_CACHE_BYTES} bytes (the server's
 *     if smaller) over a scratch file four times that size, made by the server's own
 *     {@link StoreFactory} in a fresh {@code .warmup-*} directory of the data directory (the same file
 *     system, the same store type as file volumes) and deleted afterwards, also when it fails. The
 *     exported volumes are not open in it, so their caches stay cold and their files untouched:
 *     the warm-up warms code, not data.</li>
 * <li>Its own {@link NbdServer} on an ephemeral port of the loopback address, configured as the
 *     real one, reporting to a meter registry of the real one's kind that nobody serves (the
 *     server's counters do not count the warm-up's requests).</li>
 * <li>{@value #CONNECTIONS} connections from {@link WarmupClient}s on threads of their own, each
 *     sending, until the time is up, batches of {@value #DEPTH} requests: 4 KiB reads at random
 *     offsets of the whole file (most of them miss the small cache, so the budget fills and
 *     reclaim runs), one in {@value #WRITE_EVERY} a 4 KiB write within its first MiB, and in every
 *     {@value #LARGE_EVERY}th batch a 1 MiB read or write in turn (the streaming paths around the
 *     cache); one FLUSH at the end. At most {@value #DEPTH} requests per connection are in
 *     flight, at most one of them 1 MiB: the memory is the small cache plus a few MiB.</li>
 * </ul>
 * <p><b>Rounds.</b> The traffic runs in two rounds, each with an engine, volume and server of its
 * own, the first with {@value #FIRST_ROUND_SHARE} % of the budget. One round was not enough: its
 * end (each connection's FLUSH and disconnect, then the server's and the engine's shutdown) takes
 * branches and meets types the traffic never did (a FLUSH where only READ and WRITE had been seen,
 * another executor class in Netty's {@code inEventLoop} as the loops shut down, the cache's
 * clear), and the JIT answers each of those by throwing away the compiled code that had assumed
 * otherwise: measured with {@code -Xlog:deoptimization=debug}, about 120 deoptimizations in the
 * 100 ms of a warm-up's end, among them the request path's hottest methods (the command runner,
 * the inline dispatch, the reply meters), which the first real client then met interpreted again.
 * The second round runs that code again with profiles that now hold those branches and types, so
 * it is compiled to expect them, and its own end finds little left to throw away.
 *
 * <p>Everything it starts is stopped before {@link #run} returns: the clients, the NBD server with
 * its loops and workers (whose close waits for them), the engine with its threads, the registry.
 * The traffic is plain text: with {@code --tls} the TLS code warms up with the first clients.
 */
final class StartupWarmup {
    /** The warm-up engine's cache: small, so misses and reclaim run within the first second. */
    static final long MAX_CACHE_BYTES = 16L << 20;
    /** The scratch volume's name (and its file's, with {@code .img}). */
    static final String VOLUME = "warmup";
    /** The scratch directory's name begins with this ({@link DataDirectory#removeWarmupLeftovers}). */
    static final String SCRATCH_PREFIX = ".warmup-";
    static final int CONNECTIONS = 2;
    static final int DEPTH = 32;
    private static final int SMALL = 4096;
    private static final int LARGE = 1 << 20;
    /** One batch in this many carries a 1 MiB request, reads and writes in turn. */
    private static final int LARGE_EVERY = 8;
    /** One 4 KiB request in this many is a write... */
    private static final int WRITE_EVERY = 8;
    /**
     * ...within the file's first megabyte, so the dirty pages stay far below the dirty limits and
     * no write waits for the disk: the disk is shared with whatever else starts with the server,
     * and a write paced by it would pace the warm-up (measured: a quarter of writes over the
     * whole file, and a FLUSH per batch, cut the requests of 2 s from tens of thousands to hundreds).
     */
    private static final long WRITE_SPAN = 1 << 20;
    /** Rounds of traffic, each over an engine, volume and server of its own (see "Rounds"). */
    static final int ROUNDS = 2;
    /** The first round's share of the budget, in per cent (see "Rounds"). */
    static final int FIRST_ROUND_SHARE = 70;

    private StartupWarmup() {
    }

    /** What one warm-up did. */
    record Report(Duration took, long reads, long writes, long flushes, long cacheBytes, long fileBytes) {
        Report plus(Report o) {
            return new Report(took, reads + o.reads, writes + o.writes, flushes + o.flushes, cacheBytes, fileBytes);
        }

        /** The line serve prints. */
        String describe() {
            return String.format("blockhaus: warm-up %.1f s (--warmup): %,d reads, %,d writes, %,d flushes over NBD on"
                    + " a loopback port, a private %s cache and a %s scratch file, all removed; not the exported volumes",
                    took.toMillis() / 1000.0, reads, writes, flushes, SizeParser.format(cacheBytes),
                    SizeParser.format(fileBytes));
        }
    }

    /**
     * Sends {@code budget} of traffic (setting up and tearing down come on top) and removes all it made.
     *
     * @param dataDir   where the scratch directory is made (it must exist)
     * @param stores    opens the scratch file, as it opens the volumes' files
     * @param engine    the server's engine settings (the warm-up's cache is the smaller of its and {@value #MAX_CACHE_BYTES})
     * @param metricsOn whether the server records meters, so the warm-up runs the same meter code
     * @param nbd       the server's NBD settings (the listen address is replaced by a loopback port)
     * @throws IOException the scratch file or the loopback traffic failed (the scratch directory is removed anyway)
     */
    static Report run(Duration budget, Path dataDir, StoreFactory stores, EngineConfig engine, boolean metricsOn,
            Duration jfrLockWaitThreshold, NbdServerConfig nbd) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long cacheBytes = Math.min(MAX_CACHE_BYTES, engine.cacheBytes());
        long fileBytes = 4 * cacheBytes;
        Path dir = Files.createTempDirectory(dataDir, SCRATCH_PREFIX);
        Report total = new Report(Duration.ZERO, 0, 0, 0, 0, 0);
        try {
            EngineConfig config = EngineConfig.withCache(cacheBytes).withMappedShare(engine.mappedShare())
                    .withHugePages(engine.hugePages());
            long firstNanos = budget.toNanos() * FIRST_ROUND_SHARE / 100;
            // Two rounds, each with an engine and a server of its own (see "Rounds").
            total = total.plus(round(dir.resolve("1"), firstNanos, stores, config, metricsOn, jfrLockWaitThreshold, nbd,
                    fileBytes));
            total = total.plus(round(dir.resolve("2"), budget.toNanos() - firstNanos, stores, config, metricsOn,
                    jfrLockWaitThreshold, nbd, fileBytes));
        } finally {
            deleteTree(dir);
        }
        return new Report(Duration.ofNanos(System.nanoTime() - start), total.reads, total.writes, total.flushes,
                cacheBytes, fileBytes);
    }

    /** One round: a private engine, volume and NBD server over a fresh scratch file in {@code dir}, {@code nanos} of traffic. */
    private static Report round(Path dir, long nanos, StoreFactory stores, EngineConfig config, boolean metricsOn,
            Duration jfrLockWaitThreshold, NbdServerConfig nbd, long fileBytes) throws IOException, InterruptedException {
        Files.createDirectory(dir);
        try (MetricsSetup meters = MetricsSetup.unserved(metricsOn); Engine warmEngine = new Engine(config)) {
            EngineMetrics engineMetrics = new EngineMetrics(
                    meters.registry() != null ? meters.registry() : new CompositeMeterRegistry(), jfrLockWaitThreshold);
            // Opened as serve opens a volume (meters and the lock-stats listener included), so
            // the call sites see the types they will see with real traffic. Closed by the engine.
            Volume volume = engineMetrics.open(warmEngine, VolumeConfig.of(VOLUME),
                    stores.open(dir.resolve(VOLUME + ".img"), fileBytes, false), new LockStatsBook().recorderFor(VOLUME));
            InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            try (NbdServer server = NbdServer.start(nbd.withListen(loopback), NbdExports.of(List.of(volume)),
                    meters.nbdEvents())) {
                // The budget is the traffic's: what came before (class loading, the first slab
                // of cache memory) is start-up work the real front end would pay anyway.
                return drive(server.address(), System.nanoTime() + nanos);
            }
        }
    }

    /** {@value #CONNECTIONS} connections, each on a thread of its own, until {@code deadline}. */
    private static Report drive(InetSocketAddress server, long deadline) throws IOException, InterruptedException {
        List<FutureTask<Report>> tasks = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            int part = i;
            FutureTask<Report> task = new FutureTask<>(() -> load(server, part, deadline));
            Thread.ofPlatform().name("blockhaus-warmup-" + i).daemon().start(task);
            tasks.add(task);
        }
        Report sum = new Report(Duration.ZERO, 0, 0, 0, 0, 0);
        IOException failed = null;
        for (FutureTask<Report> task : tasks) { // every thread is waited for, failed or not
            try {
                sum = sum.plus(task.get());
            } catch (ExecutionException e) {
                IOException cause = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                if (failed == null) {
                    failed = cause;
                } else {
                    failed.addSuppressed(cause);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
        return sum;
    }

    /**
     * One connection's traffic: random batches until the deadline. The scratch file stays sparse
     * where nothing wrote: a read of a hole takes the same path through the server as one of data
     * (a pread the kernel answers), and writing the file first took most of a 2-second budget.
     */
    private static Report load(InetSocketAddress server, int part, long deadline) throws IOException {
        long reads = 0;
        long writes = 0;
        long flushes = 0;
        try (WarmupClient client = WarmupClient.open(server, VOLUME)) {
            long size = client.size();
            SplittableRandom random = new SplittableRandom(part); // any offsets do: fixed for a repeatable load
            long smallSlots = size / SMALL;
            long largeSlots = Math.max(1, size / LARGE);
            for (long batch = 0; System.nanoTime() < deadline; batch++) {
                int first = 0;
                if (batch % LARGE_EVERY == 0) {
                    boolean write = batch % (2 * LARGE_EVERY) != 0;
                    client.send(write ? NbdCommand.WRITE : NbdCommand.READ, random.nextLong(largeSlots) * LARGE,
                            (int) Math.min(LARGE, size));
                    writes += write ? 1 : 0;
                    reads += write ? 0 : 1;
                    first = 1;
                }
                for (int i = first; i < DEPTH; i++) {
                    if (random.nextInt(WRITE_EVERY) == 0) {
                        client.send(NbdCommand.WRITE, random.nextLong(WRITE_SPAN / SMALL) * SMALL, SMALL);
                        writes++;
                    } else {
                        client.send(NbdCommand.READ, random.nextLong(smallSlots) * SMALL, SMALL);
                        reads++;
                    }
                }
                client.completeAll();
            }
            client.send(NbdCommand.FLUSH, 0, 0);
            client.completeAll();
            flushes++;
        }
        return new Report(Duration.ZERO, reads, writes, flushes, 0, 0);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
