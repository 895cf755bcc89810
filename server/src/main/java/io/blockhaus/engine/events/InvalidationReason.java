package io.blockhaus.engine.events;

/** Why cached pages were shot down (the {@code reason} tag of {@code blockhaus.cache.invalidated}). */
public enum InvalidationReason {
    /** Direct I/O, and streaming writes that bypass the cache: DESIGN.md rule 3 before the store write. */
    WRITE_AND_INVALIDATE("write-and-invalidate"),
    /** fallocate: punch hole, zero range, allocate over cached pages, collapse, insert. */
    PUNCH("punch"),
    /** Truncate (or a resize down): the pages past the new end. */
    TRUNCATE("truncate"),
    /** fadvise DONTNEED: clean unmapped pages dropped at a client's request. */
    DONTNEED("dontneed");

    private final String label;

    InvalidationReason(String label) {
        this.label = label;
    }

    /** The tag value. */
    public String label() {
        return label;
    }
}
