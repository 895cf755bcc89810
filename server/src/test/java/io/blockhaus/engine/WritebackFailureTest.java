package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.write;
import static io.blockhaus.engine.TestSupport.writeDirect;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A failing disk under the page cache (issue 11, item 4): the failure reaches every handle once,
 * at its next flush or FUA write (Linux's errseq_t); the pages stay dirty and are retried with a
 * per-volume backoff on the engine's clock, a bounded number of store calls however often
 * writeback runs; writers over the dirty limit wait instead of spinning, and past the memory wait
 * fail with the disk's errno; reads go on; and once the disk heals the data lands.
 *
 * <p>No background threads and a hand-driven clock: every retry happens in a call the test makes
 * (or, for a throttled writer, at a clock value the test sets), so the counts are exact.
 */
@Timeout(60)
class WritebackFailureTest {
    private static final long SIZE = 256 * PAGE;
    private static final long CACHE = 256 * 1024; // 64 pages; over the 40 % hard ratio at 26 dirty
    private static final Duration EXPIRE = Duration.ofSeconds(5);
    private static final Duration MEMORY_WAIT = Duration.ofSeconds(30);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private FaultInjectingStore store;
    private Engine engine;
    private Volume vol;

    @BeforeEach
    void setUp() {
        store = new FaultInjectingStore(SIZE);
        engine = new Engine(new EngineConfig(CACHE, 0.10, 0.40, EXPIRE, Duration.ofMillis(500), MEMORY_WAIT, false),
                clock::get);
        vol = engine.open(VolumeConfig.of("failing"), store);
    }

    @AfterEach
    void tearDown() {
        store.heal();
        engine.close();
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    /** Lets the background pass see the dirty pages as expired, then runs it. */
    private void backgroundWritebackOfExpiredPages() {
        advance(EXPIRE.plusSeconds(1));
        engine.writebackNow();
    }

    @Test
    void aFailureIsReportedOnceToEachHandleOnItsNextFlush() {
        Handle h1 = vol.open();
        Handle h2 = vol.open();
        write(h1, 0, filled(PAGE, 1), false);
        store.failWrites(Errno.ENOSPC);
        backgroundWritebackOfExpiredPages();
        assertThat(store.failedWrites()).as("the background writeback failed").isEqualTo(1);
        assertThat(vol.dirtyPages()).as("and kept its page dirty").isEqualTo(1);
        store.heal();

        expectErrno(Errno.ENOSPC, h1::flush);
        assertThat(vol.dirtyPages()).as("the flush wrote the page all the same").isZero();
        assertThat(store.peek(0, PAGE)).isEqualTo(filled(PAGE, 1));
        h1.flush(); // once per handle
        expectErrno(Errno.ENOSPC, h2::flush); // and to every handle open when it happened
        h2.flush();
        Handle h3 = vol.open();
        h3.flush(); // opened after it was reported: not its news

        // A later failure is news again, for all three.
        write(h1, PAGE, filled(PAGE, 2), false);
        store.failWrites(Errno.EIO);
        backgroundWritebackOfExpiredPages();
        store.heal();
        for (Handle h : new Handle[] {h1, h2, h3}) {
            expectErrno(Errno.EIO, h::flush);
            h.flush();
        }
        assertThat(store.peek(PAGE, PAGE)).isEqualTo(filled(PAGE, 2));
    }

    @Test
    void aFailureNobodyHasSeenIsReportedToTheNextHandleOpened() {
        Handle writer = vol.open();
        write(writer, 3 * PAGE, filled(PAGE, 3), false);
        writer.close(); // a client that wrote and went away before flushing
        store.failWrites(Errno.EIO);
        backgroundWritebackOfExpiredPages();
        store.heal();
        Handle late = vol.open();
        expectErrno(Errno.EIO, late::flush);
        late.flush();
        Handle later = vol.open();
        later.flush(); // once reported, a new handle does not hear of it
        assertThat(store.peek(3 * PAGE, PAGE)).isEqualTo(filled(PAGE, 3));
    }

    @Test
    void aFuaWriteReportsAFailureItsHandleHasNotSeenEvenWhenItsOwnDataLanded() {
        Handle h1 = vol.open();
        Handle h2 = vol.open();
        write(h1, 0, filled(PAGE, 1), false);
        store.failWrites(Errno.EIO, 0, PAGE); // only page 0's sector is bad
        backgroundWritebackOfExpiredPages();

        expectErrno(Errno.EIO, () -> write(h1, 10 * PAGE, filled(PAGE, 10), true));
        assertThat(store.peek(10 * PAGE, PAGE)).as("the FUA write's own data is durable").isEqualTo(filled(PAGE, 10));
        write(h1, 11 * PAGE, filled(PAGE, 11), true); // reported once
        expectErrno(Errno.EIO, () -> writeDirect(h2, 12 * PAGE, filled(PAGE, 12), true)); // direct FUA too
        writeDirect(h2, 13 * PAGE, filled(PAGE, 13), true);

        // A FUA write whose own writeback fails reports that failure, and only once.
        expectErrno(Errno.EIO, () -> write(h1, 0, filled(PAGE, 4), true));
        assertThat(read(h1, 0, PAGE)).as("the data stays cached, dirty").isEqualTo(filled(PAGE, 4));
        expectErrno(Errno.EIO, h1::flush); // the sector is still bad: this flush fails on its own
        store.heal();
        h1.flush();
        assertThat(store.peek(0, PAGE)).isEqualTo(filled(PAGE, 4));
    }

    @Test
    void retriesBackOffExponentiallyOnTheEngineClockAndTheDataLandsWhenTheDiskHeals() {
        Handle h = vol.open();
        for (int i = 0; i < 8; i++) {
            write(h, 2L * i * PAGE, filled(PAGE, 1 + i), false); // 8 runs of one page each
        }
        store.failWrites(Errno.ENOSPC);
        advance(EXPIRE.plusSeconds(1));
        // 1000 background passes over 10 s. Without backoff each would try all 8 runs: 8000
        // failing calls. With it one call per retry, and retries at 0, 0.1, 0.3, 0.7, 1.5, 3.1
        // and 6.3 s (100 ms doubling, capped at 5 s: the next is at 11.3 s).
        for (int pass = 0; pass < 1000; pass++) {
            engine.writebackNow();
            advance(Duration.ofMillis(10));
        }
        assertThat(store.writeCalls()).as("store calls in 10 s of a failing disk").isEqualTo(7);
        assertThat(vol.dirtyPages()).as("nothing dropped").isEqualTo(8);
        for (int i = 0; i < 8; i++) {
            assertThat(read(h, 2L * i * PAGE, PAGE)).isEqualTo(filled(PAGE, 1 + i));
        }

        store.heal();
        engine.writebackNow(); // at 10 s: the retry is not due before 11.3 s
        assertThat(store.writeCalls()).isEqualTo(7);
        advance(Duration.ofMillis(1300));
        engine.writebackNow();
        assertThat(vol.dirtyPages()).as("the retry after the disk healed wrote everything").isZero();
        assertThat(store.writeCalls()).isEqualTo(7 + 8);
        for (int i = 0; i < 8; i++) {
            assertThat(store.peek(2L * i * PAGE, PAGE)).isEqualTo(filled(PAGE, 1 + i));
        }
    }

    @Test
    void clientFlushesThatFailDoNotPushTheRetryBack() {
        Handle h = vol.open();
        write(h, 0, filled(PAGE, 1), false);
        store.failWrites(Errno.EIO);
        backgroundWritebackOfExpiredPages(); // fails: retry due in 100 ms
        advance(Duration.ofMillis(50));
        for (int i = 0; i < 5; i++) {
            expectErrno(Errno.EIO, h::flush); // a client asks: always tried, never waits for the backoff
        }
        assertThat(store.writeCalls()).isEqualTo(1 + 5);
        advance(Duration.ofMillis(50));
        engine.writebackNow();
        assertThat(store.writeCalls()).as("the retry is still due at 100 ms").isEqualTo(1 + 5 + 1);
        advance(Duration.ofMillis(199));
        engine.writebackNow();
        assertThat(store.writeCalls()).as("and the failed retry doubled the delay").isEqualTo(7);
        advance(Duration.ofMillis(1));
        engine.writebackNow();
        assertThat(store.writeCalls()).isEqualTo(8);
    }

    @Test
    void aFlushTriesEachDirtyRunOnceAsOneWrite() {
        Handle h = vol.open();
        write(h, 0, filled(3 * PAGE, 1), false); // run 0-2
        write(h, 10 * PAGE, filled(PAGE, 2), false); // run 10
        write(h, 20 * PAGE, filled(2 * PAGE, 3), false); // run 20-21
        store.failWrites(Errno.ENOSPC);
        expectErrno(Errno.ENOSPC, h::flush);
        assertThat(store.writeCalls()).as("one call per run, not per page").isEqualTo(3);
        assertThat(vol.dirtyPages()).isEqualTo(6);
        store.failWrites(Errno.ENOSPC, 10 * PAGE, 11 * PAGE); // space for all but one run
        expectErrno(Errno.ENOSPC, h::flush);
        assertThat(vol.dirtyPages()).as("the runs that could be written were").isEqualTo(1);
        store.heal();
        h.flush();
        assertThat(store.peek(0, 22 * PAGE)).isEqualTo(concat(filled(3 * PAGE, 1), new byte[7 * PAGE],
                filled(PAGE, 2), new byte[9 * PAGE], filled(2 * PAGE, 3)));
    }

    @Test
    void aWriterOverTheDirtyLimitOfAFailingVolumeWaitsForTheRetryAndGoesOnWhenTheDiskHeals() throws Exception {
        Handle reader = vol.open();
        Throttled w = startWriterOfPages(40);
        assertThat(w.pagesWritten.get()).as("throttled at the hard ratio").isEqualTo(26);
        assertThat(store.writeCalls()).as("its one writeback attempt").isEqualTo(1);
        assertThat(read(reader, 100 * PAGE, 8 * PAGE)).as("reads are served meanwhile").isEqualTo(new byte[8 * PAGE]);

        for (long delayMs = 100; delayMs <= 800; delayMs *= 2) {
            advance(Duration.ofMillis(delayMs));
            engine.writebackNow(); // the retry is due: it (or the writer) tries once, and fails
        }
        assertThat(store.writeCalls()).as("one call per retry, however long the writer waited").isLessThanOrEqualTo(5);
        assertThat(w.pagesWritten.get()).isEqualTo(26);
        assertThat(w.thread.isAlive()).isTrue();

        store.heal();
        advance(Duration.ofMillis(1600));
        engine.writebackNow();
        w.thread.join(Duration.ofSeconds(30));
        assertThat(w.failure.get()).isNull();
        assertThat(w.pagesWritten.get()).isEqualTo(40);
        expectErrno(Errno.ENOSPC, w.handle::flush); // it never flushed: it hears of the failures now
        w.handle.flush();
        for (int i = 0; i < 40; i++) {
            assertThat(store.peek((long) i * PAGE, PAGE)).isEqualTo(filled(PAGE, i + 1));
        }
    }

    @Test
    void aWriterThrottledPastTheMemoryWaitFailsWithTheDisksErrnoAndNothingIsLost() throws Exception {
        Throttled w = startWriterOfPages(40);
        advance(MEMORY_WAIT.plusSeconds(1));
        engine.writebackNow(); // wakes the writer, whose deadline has passed
        w.thread.join(Duration.ofSeconds(30));
        assertThat(w.failure.get()).isInstanceOf(ErrnoException.class);
        assertThat(((ErrnoException) w.failure.get()).errno()).isEqualTo(Errno.ENOSPC);
        assertThat(vol.dirtyPages()).as("what it wrote before stays dirty").isEqualTo(26);
        store.heal();
        expectErrno(Errno.ENOSPC, w.handle::flush);
        for (int i = 0; i < 26; i++) {
            assertThat(store.peek((long) i * PAGE, PAGE)).isEqualTo(filled(PAGE, i + 1));
        }
    }

    /** A writer thread, its handle, how far it got and how it ended. */
    private record Throttled(Thread thread, Handle handle, AtomicInteger pagesWritten,
            AtomicReference<Throwable> failure) {
    }

    /**
     * Starts a thread writing {@code pages} pages one by one on a disk that fails every write, and
     * returns once it waits, throttled (the only timed wait on its path).
     */
    private Throttled startWriterOfPages(int pages) {
        store.failWrites(Errno.ENOSPC);
        Handle h = vol.open();
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("throttled-writer").start(() -> {
            try {
                for (int i = 0; i < pages; i++) {
                    write(h, (long) i * PAGE, filled(PAGE, i + 1), false);
                    done.incrementAndGet();
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        TestSupport.awaitCondition(() -> t.getState() == Thread.State.TIMED_WAITING || !t.isAlive(),
                Duration.ofSeconds(20), "the writer to be throttled");
        assertThat(failure.get()).isNull();
        return new Throttled(t, h, done, failure);
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
