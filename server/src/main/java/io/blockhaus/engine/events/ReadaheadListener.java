package io.blockhaus.engine.events;

/**
 * One volume's readahead events (same rules as {@link CacheListener}: cheap, never throws). A
 * page read ahead is later either used (a read hit it first) or wasted (evicted or shot down
 * unread); pages still cached unread are neither yet.
 */
public interface ReadaheadListener {

    ReadaheadListener NONE = new ReadaheadListener() {
    };

    /**
     * A readahead window read {@code pages} pages (at least one) into the cache: ondemand (beyond
     * a miss, or asynchronous), WILLNEED or NBD CACHE. A window that found every page cached
     * already is not reported.
     */
    default void window(int pages) {
    }

    /** A read used {@code pages} read-ahead pages for the first time. */
    default void used(int pages) {
    }

    /** {@code pages} read-ahead pages left the cache unread. */
    default void wasted(int pages) {
    }
}
