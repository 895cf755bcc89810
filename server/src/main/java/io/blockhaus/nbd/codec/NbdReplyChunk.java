package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import java.util.List;

/**
 * One structured reply chunk. The encoder frames it as a structured chunk, or as an extended
 * reply once extended headers are negotiated; the latter also carries {@code requestOffset},
 * which the spec requires to echo the request's offset (ignored otherwise).
 */
public sealed interface NbdReplyChunk {
    /** Reply flag: this is the final chunk for the cookie. */
    int FLAG_DONE = 1;

    long cookie();

    long requestOffset();

    boolean done();

    /** NBD_REPLY_TYPE_NONE: no payload, always final. */
    record None(long cookie, long requestOffset) implements NbdReplyChunk {
        @Override
        public boolean done() {
            return true;
        }
    }

    /** NBD_REPLY_TYPE_OFFSET_DATA: data read at {@code offset}; the buffer is sent uncopied. */
    record OffsetData(long cookie, long requestOffset, boolean done, long offset, ByteBuf content)
            implements NbdReplyChunk, NbdByteBufHolder {
        @Override
        public OffsetData replace(ByteBuf content) {
            return new OffsetData(cookie, requestOffset, done, offset, content);
        }
    }

    /**
     * NBD_REPLY_TYPE_OFFSET_DATA whose data is a range of a file, which the transport sends with
     * sendfile(2) (the bytes never enter the JVM). Reference counts are the region's.
     */
    record OffsetDataFile(long cookie, long requestOffset, boolean done, long offset, FileRegion region)
            implements NbdReplyChunk, NbdFileRegionHolder {
    }

    /** NBD_REPLY_TYPE_OFFSET_HOLE: {@code holeSize} (unsigned 32-bit) bytes of zeroes at offset. */
    record OffsetHole(long cookie, long requestOffset, boolean done, long offset, int holeSize)
            implements NbdReplyChunk {
    }

    /**
     * Block status for one metadata context: BLOCK_STATUS (32-bit extents) normally,
     * BLOCK_STATUS_EXT (64-bit) under extended headers; the encoder picks.
     */
    record BlockStatus(long cookie, long requestOffset, boolean done, int contextId, List<Extent> extents)
            implements NbdReplyChunk {
        public BlockStatus {
            extents = List.copyOf(extents);
            if (extents.isEmpty()) {
                throw new IllegalArgumentException("block status needs at least one extent");
            }
        }
    }

    /** One block status descriptor; both fields unsigned. */
    record Extent(long length, long status) {
    }

    /** NBD_REPLY_TYPE_ERROR: the whole request failed; message may be empty. */
    record Error(long cookie, long requestOffset, boolean done, NbdError error, String message)
            implements NbdReplyChunk {
    }

    /** NBD_REPLY_TYPE_ERROR_OFFSET: failure at {@code offset} within the request's range. */
    record ErrorOffset(long cookie, long requestOffset, boolean done, NbdError error, String message, long offset)
            implements NbdReplyChunk {
    }
}
