package io.blockhaus.metrics;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.events.WritebackListener;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * One volume's writeback as meters ({@code blockhaus.writeback.*}, tag volume): bytes, runs (a
 * timer: count and duration), errors by errno, throttled writers. An errno's counter is
 * registered at its first failure, so a healthy volume shows no error series at all and a
 * failing one only the errnos it met (bounded by the errno enum).
 */
final class WritebackMeters implements WritebackListener {
    private final BoundMeters meters;
    private final LongAdder bytes;
    private final Timer run;
    private final LongAdder throttled;
    private final AtomicReferenceArray<LongAdder> errors = new AtomicReferenceArray<>(Errno.values().length);

    WritebackMeters(BoundMeters meters) {
        this.meters = meters;
        bytes = meters.byteCounter("blockhaus.writeback.bytes", "bytes written back");
        run = meters.timer("blockhaus.writeback.run", "one run of contiguous dirty pages written back");
        throttled = meters.counter("blockhaus.writeback.throttled", "writers made to wait at the hard dirty limit");
    }

    @Override
    public void ran(long bytes, long nanos) {
        this.bytes.add(bytes);
        run.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void failed(Errno errno) {
        LongAdder c = errors.get(errno.ordinal());
        if (c == null) {
            c = registerError(errno);
        }
        c.increment();
    }

    /** A failing disk's first error of this errno: under the monitor, so one meter reads one adder. */
    private synchronized LongAdder registerError(Errno errno) {
        LongAdder c = errors.get(errno.ordinal());
        if (c == null) {
            c = meters.counter("blockhaus.writeback.errors", "failed writebacks", "errno", errno.name());
            errors.set(errno.ordinal(), c);
        }
        return c;
    }

    @Override
    public void throttled() {
        throttled.increment();
    }
}
