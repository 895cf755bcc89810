package io.blockhaus.s3;

/**
 * The shape of a volume in object storage, fixed when it is created and recorded in its manifest
 * (except {@code size}, which truncate changes through a new manifest version).
 *
 * @param size       bytes
 * @param objectSize bytes per data object: a power of two, a multiple of {@code pageSize}
 * @param pageSize   the page size the volume was created with, also a power of two
 */
public record VolumeGeometry(long size, int objectSize, int pageSize) {
    public VolumeGeometry {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " < 0");
        }
        if (Integer.bitCount(objectSize) != 1 || Integer.bitCount(pageSize) != 1 || objectSize < pageSize) {
            throw new IllegalArgumentException("object size " + objectSize + " and page size " + pageSize
                    + " must be powers of two, object size >= page size");
        }
    }

    /** Index of the data object holding byte {@code offset}. */
    public long objectIndex(long offset) {
        return offset / objectSize;
    }

    /** Number of data objects a volume of this size can have. */
    public long objectCount() {
        return (size + objectSize - 1) / objectSize;
    }

    public VolumeGeometry withSize(long newSize) {
        return new VolumeGeometry(newSize, objectSize, pageSize);
    }
}
