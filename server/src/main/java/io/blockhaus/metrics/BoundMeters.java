package io.blockhaus.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The meters one binder registered, so that they can all be removed when their volume goes
 * (a volume deleted and created again starts from zero, and a deleted one leaves no stale
 * series). Counters are {@link LongAdder}s read by a {@link FunctionCounter}: the engine's
 * threads pay one adder increment per event, the scraper pays the sum.
 */
final class BoundMeters {
    private final MeterRegistry registry;
    private final Tags tags;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();

    BoundMeters(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
    }

    /** A counter of {@code name} with this binder's tags and {@code extra}; returns the adder to increment. */
    LongAdder counter(String name, String description, String... extra) {
        return counter(name, description, null, extra);
    }

    /** A counter of bytes (Prometheus: {@code _bytes_total}). */
    LongAdder byteCounter(String name, String description, String... extra) {
        return counter(name, description, "bytes", extra);
    }

    private LongAdder counter(String name, String description, String baseUnit, String[] extra) {
        LongAdder adder = new LongAdder();
        meters.add(FunctionCounter.builder(name, adder, LongAdder::sum)
                .tags(tags).tags(extra).description(description).baseUnit(baseUnit)
                .register(registry));
        return adder;
    }

    /** A counter of {@code name} whose count is read from {@code source} at scrape time (the engine keeps it). */
    <T> void functionCounter(String name, String description, T source, ToDoubleFunction<T> count, String... extra) {
        meters.add(FunctionCounter.builder(name, source, count)
                .tags(tags).tags(extra).description(description)
                .register(registry));
    }

    Timer timer(String name, String description, String... extra) {
        Timer t = LatencyBuckets.timer(name).tags(tags).tags(extra).description(description).register(registry);
        meters.add(t);
        return t;
    }

    <T> void gauge(String name, String description, String baseUnit, T source, ToDoubleFunction<T> value,
            String... extra) {
        meters.add(Gauge.builder(name, source, value)
                .tags(tags).tags(extra).description(description).baseUnit(baseUnit).strongReference(true)
                .register(registry));
    }

    /** Removes every meter registered through this (idempotent). */
    void removeAll() {
        for (Meter m : meters) {
            registry.remove(m);
        }
        meters.clear();
    }
}
