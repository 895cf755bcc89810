package io.blockhaus.engine.cache;

import io.blockhaus.engine.store.BackingStore;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Filling a volume's freshly inserted pages from its store: a locked run becomes uptodate, or,
 * if the store fails (or, for a thread that must not wait, does not hold the bytes in memory),
 * leaves the cache before anyone sees it (a live page seen unlocked is always uptodate: see
 * {@link Page}).
 */
final class PageFills {
    private final PageCache cache;
    private final BackingStore store;

    PageFills(PageCache cache, BackingStore store) {
        this.cache = cache;
        this.store = store;
    }

    /**
     * Reads a run from {@link PageInserts#insertAbsent} from the store and marks it uptodate. On failure the
     * run is removed from the cache (still locked: the caller unlocks, as always).
     */
    void fill(List<Page> run) {
        if (run.isEmpty()) {
            return;
        }
        try {
            if (run.size() == 1) {
                // A random read's miss: the store's plain pread straight into the page's memory,
                // no iovec array, buffer view or segment to build.
                store.read(cache.offsetOf(run.getFirst().index()), run.getFirst().memory());
            } else {
                ByteBuffer[] bufs = new ByteBuffer[run.size()];
                for (int i = 0; i < bufs.length; i++) {
                    bufs[i] = run.get(i).bufferView();
                }
                store.read(cache.offsetOf(run.getFirst().index()), bufs);
            }
        } catch (RuntimeException | Error e) {
            // An Error too (a bug in a store): a live page left not uptodate would be read as
            // if it were (a page seen unlocked is uptodate), so it goes before anyone sees it.
            abort(run);
            throw e;
        }
        for (int i = 0; i < run.size(); i++) { // indexed: no iterator per miss
            run.get(i).setUptodate();
        }
    }

    /**
     * {@link #fill} without waiting for a disk: true and uptodate when the store had the whole
     * run in memory; otherwise false and the run is removed from the cache (still locked, as
     * after a failed fill).
     */
    boolean fillIfInMemory(List<Page> run) {
        if (run.isEmpty()) {
            return true;
        }
        ByteBuffer[] bufs = new ByteBuffer[run.size()];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = run.get(i).bufferView();
        }
        boolean filled;
        try {
            filled = store.readIfInMemory(cache.offsetOf(run.getFirst().index()), bufs);
        } catch (RuntimeException | Error e) { // as in fill
            abort(run);
            throw e;
        }
        if (!filled) {
            abort(run);
            return false;
        }
        for (Page p : run) {
            p.setUptodate();
        }
        return true;
    }

    /** Removes the pages of a locked run that never became uptodate (their creator failed). */
    void abort(List<Page> run) {
        for (Page p : run) {
            if (p.isLive() && !p.isUptodate()) {
                cache.remove(p);
            }
        }
    }
}
