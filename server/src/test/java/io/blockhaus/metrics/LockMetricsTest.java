package io.blockhaus.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Handle;
import io.blockhaus.engine.InvalidationListener;
import io.blockhaus.engine.MappedBuffer;
import io.blockhaus.engine.Mapping;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockListener;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.engine.store.MemoryStore;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The lock's meters and JFR event on a real volume's lock, contention driven by hand: a BLOCK
 * holder, ADD requests queued behind it (seen in the lock's own waiter count, never by
 * sleeping), then the release.
 */
class LockMetricsTest {
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);
    private static final int WAITERS = 3;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Engine engine;

    @TempDir
    Path tmp;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    private Volume open(LockPolicy policy, Duration jfrThreshold) {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        return new EngineMetrics(registry, jfrThreshold).open(engine,
                VolumeConfig.of("v1").withLockPolicy(policy), new MemoryStore(1 << 20), LockListener.NONE);
    }

    /** A BLOCK holder on pages [0, 16), WAITERS ADD requests on [4, 8) queued behind it, then released. */
    /**
     * Times around the contention: {@code heldFrom} after BLOCK was granted, {@code queuedAt}
     * once every ADD was queued, {@code releasing} just before BLOCK's close began. So every ADD
     * waited at least {@code releasing - queuedAt}, within {@code heldFrom} .. now.
     */
    private static final long HOLD_AFTER_QUEUED_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private record Contention(long heldFrom, long queuedAt, long releasing) {
    }

    private Contention blockHeldWhileAddsWait(Volume v) throws Exception {
        PagecacheLock lock = v.lock();
        PagecacheLock.Hold block = lock.acquire(LockMode.BLOCK, 0, 16, TIMEOUT);
        long heldFrom = System.nanoTime();
        List<CompletableFuture<Void>> adds = new ArrayList<>();
        for (int i = 0; i < WAITERS; i++) {
            adds.add(CompletableFuture.runAsync(() -> {
                try (PagecacheLock.Hold h = lock.acquire(LockMode.ADD, 4, 8, TIMEOUT)) {
                    assertThat(h.mode()).isEqualTo(LockMode.ADD);
                }
            }, r -> Thread.ofPlatform().daemon().start(r)));
        }
        awaitUntil("ADD requests queued", () -> lock.waiters(LockMode.ADD) == WAITERS);
        assertThat(gauge("blockhaus.lock.waiters", "add")).isEqualTo(WAITERS);
        assertThat(gauge("blockhaus.lock.holders", "block")).isEqualTo(1);
        assertThat(gauge("blockhaus.lock.holders", "add")).isZero();
        long queuedAt = System.nanoTime();
        // The holder keeps BLOCK a little longer, as a direct write doing its I/O would, so the
        // waits have a lower bound worth asserting. Nothing waits on this for ordering: every
        // waiter is known queued already (the lock's own count said so).
        long releasing;
        while ((releasing = System.nanoTime()) - queuedAt < HOLD_AFTER_QUEUED_NANOS) {
            Thread.onSpinWait();
        }
        block.close();
        for (CompletableFuture<Void> f : adds) {
            f.get(30, TimeUnit.SECONDS);
        }
        return new Contention(heldFrom, queuedAt, releasing);
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aBlockHolderWithAddsQueuedBehindItIsCountedWithWaitsAtLeastAsLongAsTheyWereHeldOff(LockPolicy policy)
            throws Exception {
        Volume v = open(policy, Duration.ofHours(1));
        Contention c = blockHeldWhileAddsWait(v);

        assertThat(count("blockhaus.lock.acquisitions", "block", policy)).isEqualTo(1);
        assertThat(count("blockhaus.lock.contended", "block", policy)).isZero();
        assertThat(count("blockhaus.lock.acquisitions", "add", policy)).isEqualTo(WAITERS);
        assertThat(count("blockhaus.lock.contended", "add", policy)).isEqualTo(WAITERS);
        assertThat(registry.find("blockhaus.lock.failures").counters()).allMatch(f -> f.count() == 0);

        Timer addWait = timer("blockhaus.lock.wait", "add", policy);
        Timer blockHold = timer("blockhaus.lock.hold", "block", policy);
        long heldOff = c.releasing() - c.queuedAt(); // every waiter was queued before queuedAt
        assertThat(addWait.count()).isEqualTo(WAITERS);
        assertThat(addWait.totalTime(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo((double) WAITERS * heldOff);
        assertThat(blockHold.count()).isEqualTo(1);
        assertThat(blockHold.totalTime(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo((double) heldOff);
        // Each ADD asked after BLOCK was held and got it before now: its wait fits in between.
        assertThat(addWait.max(TimeUnit.NANOSECONDS)).isLessThanOrEqualTo((double) (System.nanoTime() - c.heldFrom()));
        assertThat(timer("blockhaus.lock.hold", "add", policy).count()).isEqualTo(WAITERS);
        // The timers publish the shared 1 µs..60 s buckets, and every ADD wait (over 2 ms) is above 1 ms.
        CountAtBucket[] buckets = addWait.takeSnapshot().histogramCounts();
        assertThat(buckets).hasSize(LatencyBuckets.BOUNDS.length);
        assertThat(buckets[0].bucket(TimeUnit.NANOSECONDS)).isEqualTo(1_000);
        assertThat(buckets[buckets.length - 1].bucket(TimeUnit.SECONDS)).isEqualTo(60);
        for (CountAtBucket b : buckets) {
            if (b.bucket(TimeUnit.MILLISECONDS) <= 1) {
                assertThat(b.count()).as("waits at most %s ms", b.bucket(TimeUnit.MILLISECONDS)).isZero();
            }
        }
        assertThat(buckets[buckets.length - 1].count()).isEqualTo(WAITERS);

        // ADD was "last" at start: the BLOCK grant switched to block, the ADD batch back to add, once.
        assertThat(count("blockhaus.lock.mode.switches", "block", policy)).isEqualTo(1);
        assertThat(count("blockhaus.lock.mode.switches", "add", policy)).isEqualTo(1);
        assertThat(gauge("blockhaus.lock.waiters", "add")).isZero();
        assertThat(gauge("blockhaus.lock.holders", "add")).isZero();

        for (Meter m : registry.find("blockhaus.lock.wait").meters()) {
            assertThat(m.getId().getTag("volume")).isEqualTo("v1");
            assertThat(m.getId().getTag("policy")).isEqualTo(policy.label());
            assertThat(m.getId().getTag("mode")).isIn("add", "block");
        }
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void anEdeadlockIsCountedOncePerRefusal(LockPolicy policy) {
        Volume v = open(policy, Duration.ofHours(1));
        PagecacheLock lock = v.lock();
        try (PagecacheLock.Hold block = lock.acquire(LockMode.BLOCK, 0, 16, TIMEOUT)) {
            for (int i = 1; i <= 2; i++) {
                assertThatThrownBy(() -> lock.acquire(LockMode.ADD, 2, 3, TIMEOUT))
                        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EDEADLOCK));
                assertThat(failures(policy, "edeadlock")).as("after refusal %d", i).isEqualTo(i);
            }
        }
        lock.reportDeadlock(LockMode.BLOCK); // the engine's own refusal, decided before any lock is taken
        assertThat(registry.get("blockhaus.lock.failures").tags("mode", "block", "outcome", "edeadlock").functionCounter()
                .count()).isEqualTo(1);
        assertThat(failures(policy, "timeout")).isZero();
        assertThat(count("blockhaus.lock.acquisitions", "add", policy)).isZero();
    }

    @Test
    void aDirectWriteFromAMappingOfItsOwnVolumeIsOneRefusalAndNoGrant() {
        Volume v = open(LockPolicy.TWO_STATE, Duration.ofHours(1));
        try (Handle h = v.open()) {
            Mapping m = h.map(0, 4 * 4096, false, InvalidationListener.NONE);
            for (int i = 1; i <= 2; i++) {
                assertThatThrownBy(() -> h.writeDirect(64 * 4096, new MappedBuffer(m, 0, 4096), false))
                        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EDEADLOCK));
                assertThat(registry.get("blockhaus.lock.failures")
                        .tags("mode", "block", "policy", "two-state", "outcome", "edeadlock").functionCounter().count())
                        .as("after refusal %d", i).isEqualTo(i);
            }
        }
        assertThat(count("blockhaus.lock.acquisitions", "block", LockPolicy.TWO_STATE))
                .as("refused before any lock was taken").isZero();
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void modeSwitchesCountAlternationsNotGrants(LockPolicy policy) {
        Volume v = open(policy, Duration.ofHours(1));
        PagecacheLock lock = v.lock();
        LockMode[] script = {LockMode.ADD, LockMode.ADD, LockMode.BLOCK, LockMode.BLOCK, LockMode.ADD, LockMode.BLOCK};
        for (LockMode m : script) {
            lock.acquire(m, 0, 1, TIMEOUT).close();
        }
        // From "ADD last": ADD ADD (none) BLOCK (1) BLOCK ADD (1) BLOCK (2).
        assertThat(count("blockhaus.lock.mode.switches", "block", policy)).isEqualTo(2);
        assertThat(count("blockhaus.lock.mode.switches", "add", policy)).isEqualTo(1);
        assertThat(count("blockhaus.lock.acquisitions", "add", policy)).isEqualTo(3);
        assertThat(count("blockhaus.lock.contended", "add", policy)).isZero();
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aWaitPastTheThresholdIsAFlightRecorderEventWithVolumeModeAndRange(LockPolicy policy) throws Exception {
        Volume v = open(policy, Duration.ZERO);
        List<RecordedEvent> events = lockWaitEventsOfContention(v);
        assertThat(events).hasSize(WAITERS);
        double waitSum = 0;
        for (RecordedEvent e : events) {
            assertThat(e.getString("volume")).isEqualTo("v1");
            assertThat(e.getString("mode")).isEqualTo("add");
            assertThat(e.getString("policy")).isEqualTo(policy.label());
            assertThat(e.getString("outcome")).isEqualTo("acquired");
            assertThat(e.getLong("offset")).isEqualTo(4 * 4096L); // the request's range, under both policies
            assertThat(e.getLong("length")).isEqualTo(4 * 4096L);
            assertThat(e.getDuration("wait")).isPositive();
            assertThat(e.getStackTrace()).isNotNull();
            waitSum += e.getDuration("wait").toNanos();
        }
        assertThat(waitSum).isEqualTo(timer("blockhaus.lock.wait", "add", policy).totalTime(TimeUnit.NANOSECONDS));
    }

    @Test
    void waitsUnderTheThresholdMakeNoEvent() throws Exception {
        Volume v = open(LockPolicy.TWO_STATE, Duration.ofMinutes(10));
        assertThat(lockWaitEventsOfContention(v)).isEmpty();
        assertThat(count("blockhaus.lock.contended", "add", LockPolicy.TWO_STATE)).isEqualTo(WAITERS);
    }

    @Test
    void theGrpcRecorderStillSeesEveryEventBesideTheMeters() throws Exception {
        engine = new Engine(EngineConfig.withCache(1 << 20).withBackgroundThreads(false));
        io.blockhaus.grpc.LockStatsRecorder recorder = new io.blockhaus.grpc.LockStatsRecorder();
        Volume v = new EngineMetrics(registry).open(engine, VolumeConfig.of("v1"), new MemoryStore(1 << 20), recorder);
        blockHeldWhileAddsWait(v);
        assertThat(recorder.snapshot(LockMode.ADD).contended()).isEqualTo(WAITERS);
        assertThat(recorder.snapshot(LockMode.BLOCK).acquisitions()).isEqualTo(1);
        assertThat(count("blockhaus.lock.contended", "add", LockPolicy.TWO_STATE)).isEqualTo(WAITERS);
    }

    /** Records {@link #blockHeldWhileAddsWait} with JFR (the event enabled, dumped and read back) and returns its LockWait events. */
    private List<RecordedEvent> lockWaitEventsOfContention(Volume v) throws Exception {
        Path file = tmp.resolve("lockwait.jfr");
        try (Recording r = new Recording()) {
            r.enable(LockWaitEvent.NAME);
            r.start();
            blockHeldWhileAddsWait(v);
            r.stop();
            r.dump(file);
        }
        assertThat(Files.size(file)).isPositive();
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(LockWaitEvent.NAME)).toList();
    }

    private double count(String name, String mode, LockPolicy policy) {
        return registry.get(name).tags("volume", "v1", "mode", mode, "policy", policy.label()).functionCounter().count();
    }

    private double failures(LockPolicy policy, String outcome) {
        return registry.get("blockhaus.lock.failures")
                .tags("volume", "v1", "mode", "add", "policy", policy.label(), "outcome", outcome).functionCounter().count();
    }

    private Timer timer(String name, String mode, LockPolicy policy) {
        return registry.get(name).tags("volume", "v1", "mode", mode, "policy", policy.label()).timer();
    }

    private double gauge(String name, String mode) {
        return registry.get(name).tags("volume", "v1", "mode", mode).gauge().value();
    }

    /** Polls a condition another thread makes true (not a sleep for timing: it waits for a fact). */
    private static void awaitUntil(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }
}
