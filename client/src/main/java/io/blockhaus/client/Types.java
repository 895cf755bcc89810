package io.blockhaus.client;

/** Small value types of the client API. */
public final class Types {
    private Types() {
    }

    /** fallocate(2) modes. */
    public enum FallocateMode { PUNCH_HOLE, ZERO_RANGE, ALLOCATE, COLLAPSE_RANGE, INSERT_RANGE }

    /** posix_fadvise(2) advice. */
    public enum Advice { NORMAL, SEQUENTIAL, RANDOM, WILLNEED, DONTNEED, NOREUSE }

    /** A run of one kind from BlockStatus: data, a hole, or allocated zeroes. */
    public record Extent(long offset, long length, boolean hole, boolean zero) {
    }

    /** A handle's view of its volume now. */
    public record VolumeStat(String volume, long sizeBytes, int pageSize, boolean readOnly, boolean direct,
            String lockPolicy, long cachedPages, long dirtyPages) {
    }

    /** A volume as the admin service lists it. {@code name} is the id, without "volumes/". */
    public record VolumeInfo(String name, long sizeBytes, boolean readOnly, boolean direct, String lockPolicy,
            int pageSize, boolean createdByApi, int openHandles) {
    }
}
