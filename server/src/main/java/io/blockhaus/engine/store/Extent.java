package io.blockhaus.engine.store;

/**
 * A run of bytes that is either all data or all hole.
 *
 * @param offset first byte
 * @param length number of bytes, always positive
 * @param hole   true when the run is unallocated and reads as zeroes
 */
public record Extent(long offset, long length, boolean hole) {
    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad extent " + offset + "+" + length);
        }
    }

    public long end() {
        return offset + length;
    }
}
