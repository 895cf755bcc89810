package io.blockhaus.client.bench;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.VolumeHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code GrpcBench TARGET VOLUME REGION SECONDS WARMUP SERVER_PID ROW...}, each ROW
 * {@code MODE:BS:THREADS}: MODE is read, write or randread; each of THREADS threads has its own
 * handle and keeps one call in flight (so THREADS is the queue depth, as fio's iodepth);
 * sequential modes walk the first REGION bytes from a per-thread offset. Reads are buffered,
 * writes buffered without FUA.
 *
 * <p>All rows run in this one JVM, so the client is compiled once, not per row. First the REGION
 * bytes are read once (so reads are served from the cache), then every row runs WARMUP seconds
 * unmeasured (the JIT compiles client and server paths: the NBD side's fio is native code, and
 * grpc-nbd.sh gives it the same unmeasured round), then each row runs WARMUP seconds more and is
 * measured for SECONDS. Prints one line per row: {@code MODE BS THREADS MB/s IOPS
 * CLIENT_CPU_US/OP SERVER_CPU_US/OP}: user and system CPU time over the measured seconds per
 * operation, the server's read from Linux's /proc (SERVER_PID 0: NaN). On a shared machine those
 * say what an operation costs where wall-clock rates are noise.
 */
public final class GrpcBench {
    private GrpcBench() {
    }

    private record Row(String mode, int bs, int threads) {
        static Row parse(String s) {
            String[] f = s.split(":");
            return new Row(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]));
        }
    }

    public static void main(String[] args) throws Exception {
        String target = args[0];
        String volume = args[1];
        long region = Long.parseLong(args[2]);
        long seconds = Long.parseLong(args[3]);
        long warmup = Long.parseLong(args[4]);
        long serverPid = Long.parseLong(args[5]);
        List<Row> rows = new ArrayList<>();
        for (int i = 6; i < args.length; i++) {
            rows.add(Row.parse(args[i]));
        }
        try (BlockhausClient client = BlockhausClient.connect(target)) {
            try (VolumeHandle warm = client.open(volume)) {
                for (long off = 0; off < region; off += 1 << 20) {
                    warm.read(off, (int) Math.min(1 << 20, region - off));
                }
            }
            for (Row row : rows) {
                run(client, volume, region, row, warmup, 0, 0);
            }
            for (Row row : rows) {
                run(client, volume, region, row, warmup, seconds, serverPid);
            }
        }
    }

    /** Runs {@code row} for {@code warmup} seconds, then measures it for {@code seconds} (0: prints nothing). */
    private static void run(BlockhausClient client, String volume, long fullRegion, Row row, long warmup, long seconds,
            long serverPid) throws Exception {
        int bs = row.bs();
        long region = fullRegion / bs * bs;
        LongAdder ops = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        byte[] payload = new byte[bs];
        ThreadLocalRandom.current().nextBytes(payload);
        for (int t = 0; t < row.threads(); t++) {
            long start = region / row.threads() * t / bs * bs;
            workers.add(Thread.ofPlatform().start(() -> {
                try (VolumeHandle h = client.open(volume)) {
                    long off = start;
                    while (!stop.get()) {
                        switch (row.mode()) {
                            case "read" -> h.read(off, bs);
                            case "write" -> h.write(off, ByteBuffer.wrap(payload), false);
                            case "randread" -> h.read(ThreadLocalRandom.current().nextLong(region / bs) * bs, bs);
                            default -> throw new IllegalArgumentException("mode is read, write or randread");
                        }
                        ops.increment();
                        off += bs;
                        if (off + bs > region) {
                            off = 0;
                        }
                    }
                }
            }));
        }
        Thread.sleep(warmup * 1000);
        long n0 = ops.sum();
        long t0 = System.nanoTime();
        long client0 = cpuNanos();
        long server0 = serverCpuNanos(serverPid);
        Thread.sleep(seconds * 1000);
        long n = Math.max(1, ops.sum() - n0);
        double secs = (System.nanoTime() - t0) / 1e9;
        double clientUs = (cpuNanos() - client0) / 1e3 / n;
        double serverUs = serverPid > 0 ? (serverCpuNanos(serverPid) - server0) / 1e3 / n : Double.NaN;
        stop.set(true);
        for (Thread w : workers) {
            w.join();
        }
        if (seconds > 0) {
            System.out.printf("%s %d %d %.1f %.0f %.1f %.1f%n", row.mode(), bs, row.threads(), n * (double) bs / secs / 1e6,
                    n / secs, clientUs, serverUs);
        }
    }

    /** This process's CPU time (user and system, all threads). */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
    }

    /** A process's CPU time from Linux's /proc (user and system, in clock ticks of 10 ms); 0 without a pid. */
    private static long serverCpuNanos(long pid) throws IOException {
        if (pid <= 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime, stime at USER_HZ=100
    }
}
