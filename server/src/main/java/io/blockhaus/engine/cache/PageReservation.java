package io.blockhaus.engine.cache;

/**
 * Page memory taken from the budget before the pagecache lock, so that a path which inserts
 * pages never waits for memory (nor reclaims, nor writes back) while holding ADD: a direct I/O
 * of the volume waiting for BLOCK would wait behind it. {@link PageCache#insertAbsent} draws
 * from it first; {@link #close} gives back what was not used. One thread's, not shared.
 */
public final class PageReservation implements AutoCloseable {
    private final DirectReclaim reclaim;
    private final int pageSize;
    private int pages;

    PageReservation(DirectReclaim reclaim, int pageSize, int pages) {
        this.reclaim = reclaim;
        this.pageSize = pageSize;
        this.pages = pages;
    }

    /** Pages reserved and not yet used. */
    public int pages() {
        return pages;
    }

    /** Takes one reserved page's worth of budget; false when none is left. */
    boolean take() {
        if (pages == 0) {
            return false;
        }
        pages--;
        return true;
    }

    /** Gives one page's worth back (it was taken but its page was never indexed). */
    void putBack() {
        pages++;
    }

    @Override
    public void close() {
        if (pages > 0) {
            reclaim.unreserve(pageSize, pages);
            pages = 0;
        }
    }
}
