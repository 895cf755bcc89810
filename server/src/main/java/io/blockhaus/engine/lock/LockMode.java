package io.blockhaus.engine.lock;

/** The two modes of the pagecache lock. Shared within a mode, exclusive between modes. */
public enum LockMode {
    /** Taken by every path that inserts pages: buffered misses, faults, readahead. */
    ADD,
    /** Taken by every path that shoots a range down and keeps it down: direct I/O, fallocate, truncate. */
    BLOCK;

    public LockMode other() {
        return this == ADD ? BLOCK : ADD;
    }
}
