package io.blockhaus.metrics;

import io.blockhaus.engine.events.ReadaheadListener;
import java.util.concurrent.atomic.LongAdder;

/**
 * One volume's readahead as meters ({@code blockhaus.readahead.*}, tag volume). Efficiency is
 * {@code used / pages}; {@code wasted / pages} is what it cost for nothing.
 */
final class ReadaheadMeters implements ReadaheadListener {
    private final LongAdder windows;
    private final LongAdder pages;
    private final LongAdder used;
    private final LongAdder wasted;

    ReadaheadMeters(BoundMeters meters) {
        windows = meters.counter("blockhaus.readahead.windows", "readahead windows that read pages");
        pages = meters.counter("blockhaus.readahead.pages", "pages read ahead");
        used = meters.counter("blockhaus.readahead.used", "read-ahead pages a read used before their eviction");
        wasted = meters.counter("blockhaus.readahead.wasted", "read-ahead pages evicted or invalidated unused");
    }

    @Override
    public void window(int pages) {
        windows.increment();
        this.pages.add(pages);
    }

    @Override
    public void used(int pages) {
        used.add(pages);
    }

    @Override
    public void wasted(int pages) {
        wasted.add(pages);
    }
}
