package io.blockhaus.client;

import com.google.protobuf.WireFormat;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The reply marshaller of one Read call: each ReadResponse's data goes from the transport's
 * buffers straight into the caller's buffer, at its position, in order (the server answers a
 * range in order), so a read costs one copy of its bytes on the client.
 *
 * <p>gRPC's default protobuf marshaller copies each reply twice before the caller sees it (the
 * transport's buffers into a reused array, that into the message's ByteString), and the library
 * copied it a third time into the caller's buffer. Here the reply is read field by field off the
 * message's stream: the fields other than data are skipped (the offset is implied by the order),
 * and the data is read into {@code out}'s array. A reply with more data than {@code out} has
 * room for fails the call (INTERNAL); fewer bytes in all is the caller's short read.
 *
 * <p>Messages are parsed one at a time on the thread that takes them from the call, so {@code out}
 * needs no lock.
 */
final class ReadInto implements MethodDescriptor.Marshaller<ReadInto.Received> {
    private static final int DATA_TAG = ReadResponse.DATA_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    private final ByteBuffer out;

    /** What one reply carried: its data went into the buffer. */
    record Received(int bytes) {
    }

    /** {@code out}: a heap buffer, filled from its position. */
    ReadInto(ByteBuffer out) {
        if (!out.hasArray()) {
            throw new IllegalArgumentException("a read lands in a heap buffer");
        }
        this.out = out;
    }

    /** The Read method with this marshaller for its replies. */
    MethodDescriptor<ReadRequest, Received> method() {
        var read = VolumeIoGrpc.getReadMethod();
        return read.toBuilder(read.getRequestMarshaller(), this).build();
    }

    @Override
    public InputStream stream(Received value) {
        throw new UnsupportedOperationException("the client only receives Read replies");
    }

    @Override
    public Received parse(InputStream in) {
        try {
            int got = 0;
            for (int tag = varint32(in, true); tag != 0; tag = varint32(in, true)) {
                if (tag == DATA_TAG) {
                    int n = varint32(in, false);
                    if (n < 0 || n > out.remaining()) {
                        throw new IOException("a Read reply of " + n + " bytes overruns the " + out.remaining()
                                + " bytes left of the range");
                    }
                    if (in.readNBytes(out.array(), out.arrayOffset() + out.position(), n) != n) {
                        throw new EOFException("truncated Read reply");
                    }
                    out.position(out.position() + n);
                    got += n;
                } else {
                    skip(in, tag);
                }
            }
            return new Received(got);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("bad Read reply: " + e.getMessage()).withCause(e).asRuntimeException();
        }
    }

    /** Skips a field this marshaller does not keep (the offset, or one a newer server added). */
    private static void skip(InputStream in, int tag) throws IOException {
        switch (tag & 7) {
            case WireFormat.WIRETYPE_VARINT -> varint64(in);
            case WireFormat.WIRETYPE_FIXED64 -> in.skipNBytes(8);
            case WireFormat.WIRETYPE_LENGTH_DELIMITED -> in.skipNBytes(varint32(in, false));
            case WireFormat.WIRETYPE_FIXED32 -> in.skipNBytes(4);
            default -> throw new IOException("unexpected wire type in tag " + tag);
        }
    }

    /** A varint that fits 32 bits; at the end of the message 0 if {@code endOk}. */
    private static int varint32(InputStream in, boolean endOk) throws IOException {
        int first = in.read();
        if (first < 0) {
            if (endOk) {
                return 0;
            }
            throw new EOFException("truncated Read reply");
        }
        long v = first & 0x7f;
        int shift = 7;
        for (int b = first; (b & 0x80) != 0; shift += 7) {
            b = in.read();
            if (b < 0 || shift > 63) {
                throw new EOFException("truncated or overlong varint in a Read reply");
            }
            v |= (long) (b & 0x7f) << shift;
        }
        if (v > Integer.MAX_VALUE) {
            throw new IOException("varint " + v + " too large in a Read reply");
        }
        return (int) v;
    }

    private static void varint64(InputStream in) throws IOException {
        for (int i = 0, b = 0x80; (b & 0x80) != 0; i++) {
            b = in.read();
            if (b < 0 || i == 10) {
                throw new EOFException("truncated or overlong varint in a Read reply");
            }
        }
    }
}
