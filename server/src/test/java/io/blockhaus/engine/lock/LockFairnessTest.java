package io.blockhaus.engine.lock;

import static io.blockhaus.engine.lock.LockTestSupport.LONG_TIMEOUT;
import static io.blockhaus.engine.lock.LockTestSupport.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.lock.PagecacheLock.Hold;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DESIGN.md rule 1: a stream of one mode must not starve a waiter of the other. A few threads
 * loop acquire/release so that the lock is (almost) never free of their mode; an unfair lock
 * (one counter, waiters woken when it drains to zero) would keep the other mode out indefinitely.
 */
class LockFairnessTest {
    static final int STREAMERS = 3;
    static final int ROUNDS = 20;
    static final long BOUND = TimeUnit.SECONDS.toNanos(5);

    static Stream<Arguments> cases() {
        return Stream.of(LockPolicy.values())
                .flatMap(p -> Stream.of(LockMode.values()).map(m -> Arguments.of(p, m)));
    }

    @ParameterizedTest(name = "{0}, stream of {1}")
    @MethodSource("cases")
    void waiterOfTheOtherModeGetsInWithinABound(LockPolicy policy, LockMode streaming) throws Throwable {
        PagecacheLock lock = PagecacheLock.create(policy, LockListener.NONE);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acquisitions = new AtomicLong();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<Actor<Long>> streamers = new ArrayList<>();
        for (int i = 0; i < STREAMERS; i++) {
            streamers.add(Actor.start("stream-" + streaming + "-" + i, () -> {
                long mine = 0;
                while (!stop.get()) {
                    try (Hold h = lock.acquire(streaming, 0, 64, LONG_TIMEOUT)) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        for (int s = 0; s < 20; s++) {
                            Thread.onSpinWait();
                        }
                        inside.decrementAndGet();
                    }
                    acquisitions.incrementAndGet();
                    mine++;
                }
                return mine;
            }));
        }
        try {
            awaitUntil("the stream overlaps itself", () -> acquisitions.get() >= 20_000 && maxInside.get() >= 2);
            long worstWait = 0;
            long streamedWhileWaiting = 0;
            for (int round = 0; round < ROUNDS; round++) {
                long before = acquisitions.get();
                long t0 = System.nanoTime();
                try (Hold h = lock.acquire(streaming.other(), 0, 64, BOUND)) {
                    worstWait = Math.max(worstWait, System.nanoTime() - t0);
                    assertThat(inside.get()).as("stream inside while %s held", streaming.other()).isZero();
                }
                streamedWhileWaiting += acquisitions.get() - before;
                long after = acquisitions.get();
                awaitUntil("the stream resumes", () -> acquisitions.get() >= after + 500);
            }
            System.out.printf("[fairness] %s stream of %s: %d acquisitions, max %d holders at once, "
                            + "%d %s rounds, worst wait %.3f ms, %d stream acquisitions during waits%n",
                    policy, streaming, acquisitions.get(), maxInside.get(), ROUNDS, streaming.other(),
                    worstWait / 1e6, streamedWhileWaiting);
            assertThat(worstWait).isLessThan(BOUND);
        } finally {
            stop.set(true);
        }
        long total = 0;
        for (Actor<Long> s : streamers) {
            long mine = s.join();
            assertThat(mine).as("every streamer looped").isPositive();
            total += mine;
        }
        assertThat(total).isEqualTo(acquisitions.get());
        PagecacheLockContract.assertIdle(lock);
    }
}
