package io.blockhaus.s3.ownership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Real time for tests: one true timeline that only the test moves, and clocks that read it at
 * their own rate and offset (servers' monotonic and wall clocks, the store's clock). No test waits
 * for real time to pass.
 */
final class SimulatedTime {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moved = lock.newCondition();
    private long trueNanos;

    long trueNanos() {
        lock.lock();
        try {
            return trueNanos;
        } finally {
            lock.unlock();
        }
    }

    void advance(Duration d) {
        advanceTo(trueNanos() + d.toNanos());
    }

    void advanceTo(long nanos) {
        lock.lock();
        try {
            if (nanos > trueNanos) {
                trueNanos = nanos;
                moved.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A server's clocks: exact rate, no offset; sleeping moves true time forward by itself. */
    ServerClock server() {
        return new ServerClock(1.0, 0, 0, true);
    }

    /** A server's clocks reading true time at {@code rate} with offsets; {@code autoAdvance}: sleeping moves time. */
    ServerClock server(double rate, long monotonicOffset, long wallOffsetMillis, boolean autoAdvance) {
        return new ServerClock(rate, monotonicOffset, wallOffsetMillis, autoAdvance);
    }

    /** The store's clock: second precision (like Last-Modified and Date), at {@code rate} from {@code origin}. */
    Clock store(double rate, Instant origin) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return origin.plusNanos((long) (trueNanos() * rate)).truncatedTo(ChronoUnit.SECONDS);
            }
        };
    }

    final class ServerClock implements LeaseClock {
        private final double rate;
        private final long monotonicOffset;
        private volatile long wallOffsetMillis;
        private final boolean autoAdvance;

        private ServerClock(double rate, long monotonicOffset, long wallOffsetMillis, boolean autoAdvance) {
            this.rate = rate;
            this.monotonicOffset = monotonicOffset;
            this.wallOffsetMillis = wallOffsetMillis;
            this.autoAdvance = autoAdvance;
        }

        @Override
        public long nanoTime() {
            return monotonicOffset + (long) (trueNanos() * rate);
        }

        @Override
        public long wallMillis() {
            return wallOffsetMillis + (long) (trueNanos() * rate / 1e6);
        }

        /** The wall clock jumps (the machine was suspended: its monotonic clock stood still). */
        void jumpWall(Duration d) {
            wallOffsetMillis += d.toMillis();
        }

        @Override
        public void sleepUntil(long deadline) throws InterruptedException {
            if (autoAdvance) {
                for (long left = deadline - nanoTime(); left > 0; left = deadline - nanoTime()) {
                    advance(Duration.ofNanos(Math.max(1, (long) Math.ceil(left / rate))));
                }
                return;
            }
            lock.lockInterruptibly();
            try {
                while (nanoTime() < deadline) {
                    moved.await();
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
