package io.blockhaus.engine;

/** posix_fadvise(2) advice. */
public enum Advice {
    /** Default readahead. */
    NORMAL,
    /** Expect sequential access: double the readahead window. */
    SEQUENTIAL,
    /** Expect random access: no readahead. */
    RANDOM,
    /** Read the range ahead now (under ADD), in the background. */
    WILLNEED,
    /** Write back and drop clean, unmapped pages of the range; dirty or mapped pages stay. */
    DONTNEED,
    /** Pages of the range are evicted first. */
    NOREUSE
}
