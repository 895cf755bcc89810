package io.blockhaus.client.bench;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.VolumeHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code GrpcBench TARGET VOLUME MODE BS THREADS SECONDS REGION}: MODE is read, write or randread;
 * each of THREADS threads has its own handle and keeps one call in flight (so THREADS is the
 * queue depth, as fio's iodepth), sequential modes walk the first REGION bytes from a per-thread
 * offset. Reads are buffered, writes buffered without FUA. Untimed pass first: the first REGION
 * bytes are read once, so reads are served from the cache. Prints one line: {@code MODE BS
 * THREADS MB/s IOPS}.
 */
public final class GrpcBench {
    private GrpcBench() {
    }

    public static void main(String[] args) throws Exception {
        String target = args[0];
        String volume = args[1];
        String mode = args[2];
        int bs = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        long seconds = Long.parseLong(args[5]);
        long region = Long.parseLong(args[6]) / bs * bs;
        try (BlockhausClient client = BlockhausClient.connect(target)) {
            try (VolumeHandle warm = client.open(volume)) {
                for (long off = 0; off < region; off += 1 << 20) {
                    warm.read(off, (int) Math.min(1 << 20, region - off));
                }
            }
            LongAdder ops = new LongAdder();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            byte[] payload = new byte[bs];
            ThreadLocalRandom.current().nextBytes(payload);
            for (int t = 0; t < threads; t++) {
                long start = region / threads * t / bs * bs;
                workers.add(Thread.ofPlatform().start(() -> {
                    try (VolumeHandle h = client.open(volume)) {
                        long off = start;
                        while (!stop.get()) {
                            switch (mode) {
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
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000);
            stop.set(true);
            long n = ops.sum();
            double secs = (System.nanoTime() - t0) / 1e9;
            for (Thread w : workers) {
                w.join();
            }
            System.out.printf("%s %d %d %.1f %.0f%n", mode, bs, threads, n * (double) bs / secs / 1e6, n / secs);
        }
    }
}
