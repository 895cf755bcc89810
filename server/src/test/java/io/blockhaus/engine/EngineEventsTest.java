package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.awaitCondition;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.ReadaheadListener;
import io.blockhaus.engine.events.VolumeListeners;
import io.blockhaus.engine.events.WritebackListener;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The writeback and memory events the engine reports to a volume's listeners, on a store that
 * fails on demand and a cache made to fill with pinned pages: runs and their bytes, failures by
 * errno, throttled writers, memory waits, and a listener that throws failing nothing.
 */
class EngineEventsTest {
    private static final long SIZE = 256 * PAGE;
    private static final Duration EXPIRE = Duration.ofSeconds(5);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Recorder events = new Recorder();
    private Engine engine;

    /** Every writeback and memory event, as text, in order. */
    private static final class Recorder implements WritebackListener, CacheListener {
        final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        final AtomicLong bytes = new AtomicLong();

        @Override
        public void ran(long bytes, long nanos) {
            this.bytes.addAndGet(bytes);
            seen.add("ran " + bytes);
        }

        @Override
        public void failed(Errno errno) {
            seen.add("failed " + errno);
        }

        @Override
        public void throttled() {
            seen.add("throttled");
        }

        @Override
        public void memoryWaited(long nanos) {
            seen.add(nanos > 0 ? "memory waited" : "memory waited 0 ns");
        }

        List<String> list() {
            return List.copyOf(seen);
        }
    }

    @AfterEach
    void tearDown() {
        engine.close();
    }

    private Volume open(EngineConfig config, io.blockhaus.engine.store.BackingStore store) {
        engine = new Engine(config, clock::get);
        return engine.open(VolumeConfig.of("events"), store,
                new VolumeListeners(LockListener.NONE, events, ReadaheadListener.NONE, events));
    }

    @Test
    void writebackRunsAndFailuresByErrno() {
        FaultInjectingStore store = new FaultInjectingStore(SIZE);
        Volume v = open(new EngineConfig(256 * 1024, 0.10, 0.40, EXPIRE, Duration.ofMillis(500),
                Duration.ofSeconds(30), false), store);
        Handle h = v.open();
        write(h, 0, filled(3 * PAGE, 1), false);
        h.flush();
        assertThat(events.list()).containsExactly("ran " + 3 * PAGE); // three contiguous pages, one run

        write(h, 8 * PAGE, filled(PAGE, 2), false);
        store.failWrites(Errno.ENOSPC);
        clock.addAndGet(EXPIRE.plusSeconds(1).toNanos());
        engine.writebackNow();
        assertThat(events.list()).containsExactly("ran " + 3 * PAGE, "failed ENOSPC");
        store.failWrites(Errno.EIO);
        expectErrno(Errno.EIO, h::flush);
        assertThat(events.list()).endsWith("failed EIO");
        store.heal();
        h.flush(); // the failed flush moved its cursor past both failures: this one only writes
        assertThat(events.list()).endsWith("ran " + PAGE);
        assertThat(events.bytes.get()).isEqualTo(4 * PAGE);
        h.close();
    }

    @Test
    void aWriterOverTheHardLimitIsCountedThrottledOnce() throws Exception {
        FaultInjectingStore store = new FaultInjectingStore(SIZE);
        Volume v = open(new EngineConfig(256 * 1024, 0.10, 0.40, EXPIRE, Duration.ofMillis(500),
                Duration.ofSeconds(30), false), store);
        store.failWrites(Errno.ENOSPC); // nothing can be written back: the writer must wait at the limit
        Handle h = v.open();
        Thread t = Thread.ofPlatform().name("throttled-writer").start(() -> {
            for (int i = 0; i < 40; i++) {
                write(h, (long) i * PAGE, filled(PAGE, i + 1), false);
            }
        });
        awaitCondition(() -> t.getState() == Thread.State.TIMED_WAITING, Duration.ofSeconds(20),
                "the writer to be throttled");
        assertThat(events.list()).containsExactly("throttled", "failed ENOSPC"); // its one writeback try
        store.heal();
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        engine.writebackNow();
        t.join(Duration.ofSeconds(30));
        assertThat(t.isAlive()).isFalse();
        assertThat(events.list().stream().filter("throttled"::equals).count())
                .as("one throttled wait per write that found the limit passed, and only the 27th did")
                .isEqualTo(1);
        h.close();
    }

    @Test
    void aReaderThatWaitsForPinnedMemoryReportsItsWait() throws Exception {
        int cachePages = 16;
        Volume v = open(new EngineConfig(cachePages * PAGE, 0.10, 0.40, EXPIRE, Duration.ofMillis(500),
                Duration.ofMinutes(1), false).withMappedShare(1.0), new MemoryStore(SIZE));
        Handle h = v.open();
        Mapping m = h.map(0, cachePages * PAGE, false, InvalidationListener.NONE);
        for (int i = 0; i < cachePages; i++) {
            m.read((long) i * PAGE, ByteBuffer.allocate(1));
        }
        assertThat(events.list()).isEmpty();
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> TestSupport.read(h, 200L * PAGE, PAGE));
        awaitCondition(() -> engine.cacheSystem().memoryWaiters() == 1, Duration.ofSeconds(10), "the reader to wait");
        assertThat(events.list()).as("reported when the wait ends").isEmpty();
        m.close();
        reader.get(20, TimeUnit.SECONDS);
        assertThat(events.list()).containsExactly("memory waited");
        h.close();
    }

    @Test
    void aListenerThatThrowsFailsNoOperation() {
        CacheListener throwing = new CacheListener() {
            @Override
            public void hits(int pages) {
                throw new IllegalStateException("metrics bug");
            }

            @Override
            public void misses(int pages) {
                throw new IllegalStateException("metrics bug");
            }
        };
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false), clock::get);
        Volume v = engine.open(VolumeConfig.of("throws"), new MemoryStore(SIZE),
                new VolumeListeners(LockListener.NONE, throwing, ReadaheadListener.NONE, WritebackListener.NONE));
        try (Handle h = v.open()) {
            write(h, 0, filled(PAGE, 7), false);
            assertThat(TestSupport.read(h, 0, PAGE)).isEqualTo(filled(PAGE, 7));
            assertThat(TestSupport.read(h, PAGE, PAGE)).isEqualTo(new byte[PAGE]);
        }
    }
}
