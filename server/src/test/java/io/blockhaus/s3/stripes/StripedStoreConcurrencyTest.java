package io.blockhaus.s3.stripes;

import io.blockhaus.s3.TestOwnership;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.MemoryObjectStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writers of interleaved pages of the same objects, with partial writes (read-modify-write
 * fetches racing each other and uploads), punches, and a thread flushing all the while, under a
 * tight staging bound so uploads, copy-on-write and waiting for room all happen. Afterwards a
 * second store opened on the same objects must read exactly what the writers last wrote.
 * Replay with -Dstripes.seed=N.
 */
class StripedStoreConcurrencyTest {
    static final int PAGE = 4096;
    static final int OBJECT = 4 * PAGE;
    static final int PAGES = 64;
    static final int WRITERS = 4;

    @Test
    void concurrentPartialWritesPunchesAndFlushesLoseNothing() throws Exception {
        long seed = Long.getLong("stripes.seed", new SplittableRandom().nextLong());
        System.out.println("StripedStoreConcurrencyTest seed=" + seed + " (replay: -Dstripes.seed=" + seed + ")");
        MemoryObjectStore bucket = new MemoryObjectStore();
        StripedStoreOptions options = new StripedStoreOptions(3, 5L * OBJECT, Duration.ofSeconds(30));
        VolumeGeometry geometry = new VolumeGeometry((long) PAGES * PAGE, OBJECT, PAGE);
        byte[][] model = new byte[PAGES][PAGE];
        try (ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1)) {
            StripedStore s = new StripedStore(bucket, "c/", geometry, TestOwnership.owner(), options);
            AtomicBoolean done = new AtomicBoolean();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                SplittableRandom rnd = new SplittableRandom(seed + w);
                writers.add(pool.submit(() -> {
                    for (int op = 0; op < 400; op++) {
                        int page = writer + WRITERS * rnd.nextInt(PAGES / WRITERS); // pages of this writer only
                        int from = rnd.nextInt(PAGE);
                        int len = 1 + rnd.nextInt(PAGE - from);
                        if (rnd.nextInt(8) == 0) {
                            s.punchHole((long) page * PAGE + from, len);
                            java.util.Arrays.fill(model[page], from, from + len, (byte) 0);
                        } else {
                            byte[] data = new byte[len];
                            rnd.nextBytes(data);
                            s.write((long) page * PAGE + from, ByteBuffer.wrap(data));
                            System.arraycopy(data, 0, model[page], from, len);
                        }
                        ByteBuffer back = ByteBuffer.allocate(PAGE);
                        s.read((long) page * PAGE, back);
                        assertThat(back.array()).as("seed %d: page %d reads back", seed, page).isEqualTo(model[page]);
                    }
                }));
            }
            Future<?> flusher = pool.submit(() -> {
                while (!done.get()) {
                    s.force();
                }
            });
            for (Future<?> f : writers) {
                f.get();
            }
            done.set(true);
            flusher.get();
            s.force();
            s.close();
        }
        StripedStore reopened = new StripedStore(bucket, "c/", geometry, TestOwnership.owner(), options);
        for (int page = 0; page < PAGES; page++) {
            ByteBuffer b = ByteBuffer.allocate(PAGE);
            reopened.read((long) page * PAGE, b);
            assertThat(b.array()).as("seed %d: page %d after reopen", seed, page).isEqualTo(model[page]);
        }
        reopened.close();
    }
}
