package io.blockhaus.grpc;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.Mapping;
import io.blockhaus.engine.MappedBuffer;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.proto.v1.MappingBuffer;

/** What Read and Write share: the chunk bound, the mode a request means, a mapping as a buffer. */
final class Transfers {
    /** The most data one Read or Write message carries. */
    static final int MAX_CHUNK = 1 << 20;

    private Transfers() {
    }

    /** A request's mode; unspecified means the volume's own io= setting, as NBD's plain READ/WRITE. */
    static boolean direct(io.blockhaus.proto.v1.IoMode mode, Handle h) {
        return switch (mode) {
            case DIRECT -> true;
            case BUFFERED -> false;
            case IO_MODE_UNSPECIFIED, UNRECOGNIZED -> h.volume().config().io() == IoMode.DIRECT;
        };
    }

    /** A mapping range as a direct I/O buffer; EINVAL for lengths a buffer cannot have. */
    static MappedBuffer buffer(HandleTable handles, MappingBuffer b, long length) {
        if (length < 0 || length > Integer.MAX_VALUE || b.getOffset() < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad mapping buffer " + b.getOffset() + "+" + length);
        }
        Mapping m = handles.mapping(b.getMapping());
        return new MappedBuffer(m, b.getOffset(), (int) length);
    }

    /** Checks a range before the first chunk moves, so a bad request fails with nothing sent or written. */
    static void checkRange(Handle h, long offset, long length, boolean writes) {
        long size = h.volume().size();
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad range offset=" + offset + " length=" + length);
        }
        if (offset + length > size) {
            throw new ErrnoException(writes ? Errno.ENOSPC : Errno.EINVAL,
                    "range " + offset + "+" + length + " is past the end of the volume (" + size + " bytes)");
        }
    }
}
