package io.blockhaus.metrics;

import io.blockhaus.engine.Volume;
import io.blockhaus.engine.events.CacheListener;
import io.blockhaus.engine.events.InvalidationReason;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One volume's page cache as meters ({@code blockhaus.cache.*}, tag volume): hits, misses,
 * evictions, shootdowns by reason, pages written by write-and-invalidate, recalls and
 * revocations, memory waits, and the pages by state read from the volume at scrape time. A hit
 * costs one adder increment per read (the engine batches per read). When the volume closes,
 * every meter of the volume goes ({@code onClose}).
 */
final class CacheMeters implements CacheListener {
    private final LongAdder hits;
    private final LongAdder misses;
    private final LongAdder evictions;
    private final LongAdder[] invalidated = new LongAdder[InvalidationReason.values().length];
    private final LongAdder invalidateWritten;
    private final LongAdder recalls;
    private final LongAdder revocations;
    private final Timer memoryWait;
    private final BoundMeters meters;
    private final Runnable onClose;

    CacheMeters(BoundMeters meters, Runnable onClose) {
        this.meters = meters;
        this.onClose = onClose;
        hits = meters.counter("blockhaus.cache.hits", "pages found resident by a read");
        misses = meters.counter("blockhaus.cache.misses", "pages a read had to fill");
        evictions = meters.counter("blockhaus.cache.evictions", "pages reclaimed");
        for (InvalidationReason r : InvalidationReason.values()) {
            invalidated[r.ordinal()] = meters.counter("blockhaus.cache.invalidated", "pages dropped by a shootdown",
                    "reason", r.label());
        }
        invalidateWritten = meters.counter("blockhaus.cache.invalidate.written",
                "dirty pages written back by write-and-invalidate before being dropped");
        recalls = meters.counter("blockhaus.cache.recalls", "mapping recalls sent");
        revocations = meters.counter("blockhaus.cache.revocations", "mappings revoked after the recall timeout");
        memoryWait = meters.timer("blockhaus.cache.memory.wait", "waits for free cache memory");
    }

    /** Resident pages by state, read from the volume when scraped. */
    void bindGauges(Volume v) {
        String name = "blockhaus.cache.pages";
        String help = "resident pages by state (writeback pages are dirty too; mapped ones are clean or dirty)";
        meters.gauge(name, help, null, v, x -> x.cachedPages() - x.dirtyPages(), "state", "clean");
        meters.gauge(name, help, null, v, Volume::dirtyPages, "state", "dirty");
        meters.gauge(name, help, null, v, Volume::writebackPages, "state", "writeback");
        meters.gauge(name, help, null, v, Volume::mappedPages, "state", "mapped");
    }

    @Override
    public void hits(int pages) {
        hits.add(pages);
    }

    @Override
    public void misses(int pages) {
        misses.add(pages);
    }

    @Override
    public void evicted(int pages) {
        evictions.add(pages);
    }

    @Override
    public void invalidated(InvalidationReason reason, int pages) {
        invalidated[reason.ordinal()].add(pages);
    }

    @Override
    public void invalidateWritten(int pages) {
        invalidateWritten.add(pages);
    }

    @Override
    public void recalled(int recalls) {
        this.recalls.add(recalls);
    }

    @Override
    public void revoked() {
        revocations.increment();
    }

    @Override
    public void memoryWaited(long nanos) {
        memoryWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void closed() {
        onClose.run();
    }
}
