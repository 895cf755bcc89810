package io.blockhaus.engine;

/** The fallocate(2) operations a volume supports. */
public enum FallocateMode {
    /** Deallocate; reads back as zeroes; size unchanged. */
    PUNCH_HOLE,
    /** Reads back as zeroes, stays allocated; size unchanged. */
    ZERO_RANGE,
    /** Allocate without changing contents; size unchanged. */
    ALLOCATE,
    /** Remove the range and shift the rest down; size shrinks. Page-aligned, must end before EOF. */
    COLLAPSE_RANGE,
    /** Insert zeroes and shift the rest up; size grows. Page-aligned, offset below EOF. */
    INSERT_RANGE
}
