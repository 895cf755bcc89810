package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import java.nio.ByteBuffer;

/**
 * The argument checks every {@link BackingStore} makes before it touches its data, in one place
 * so that each store refuses the same calls with the same errno (EINVAL) and the same words:
 * a caller that moves a volume from a file to memory or to an object store must not see a bad
 * range accepted by one and refused by another. The checks are written to be overflow-safe
 * ({@code offset + length} is never computed before {@code offset <= Long.MAX_VALUE - length} is
 * known), since a client's numbers reach them unchanged.
 */
public final class StoreArguments {
    private StoreArguments() {
    }

    /** A read of {@code dst.remaining()} bytes at {@code offset}: a readable range, a writable buffer. */
    public static void checkReadInto(long offset, ByteBuffer dst) {
        checkReadRange(offset, dst.remaining());
        if (dst.isReadOnly()) {
            throw einval("read into a read-only buffer");
        }
    }

    /** A read may reach past the end (it reads zeroes there) but not past {@code Long.MAX_VALUE}. */
    public static void checkReadRange(long offset, long length) {
        if (offset < 0 || offset > Long.MAX_VALUE - length) {
            throw einval("read of " + length + " bytes at " + offset);
        }
    }

    /** A change of {@code [offset, offset+length)} must lie within a store of {@code size} bytes. */
    public static void checkWithin(String what, long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length || offset + length > size) {
            throw einval(what + " " + offset + "+" + length + " outside size " + size);
        }
    }

    /** Collapse and insert move whole blocks: both ends on a multiple of {@code alignment}, a power of two. */
    public static void checkAligned(String what, long offset, long length, long alignment) {
        long mask = alignment - 1;
        if (offset < 0 || length < 0 || (offset & mask) != 0 || (length & mask) != 0) {
            throw einval(what + " " + offset + "+" + length + " not aligned to " + alignment);
        }
    }

    /** An extents query: a non-negative range that does not overflow, at least one extent asked for. */
    public static void checkExtentsQuery(long offset, long length, int maxExtents) {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length || maxExtents < 1) {
            throw einval("extents " + offset + "+" + length + " max " + maxExtents);
        }
    }

    /** The errno every store answers a bad argument with. */
    public static ErrnoException einval(String message) {
        return new ErrnoException(Errno.EINVAL, message);
    }
}
