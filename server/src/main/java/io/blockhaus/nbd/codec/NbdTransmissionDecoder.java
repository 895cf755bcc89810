package io.blockhaus.nbd.codec;

import io.blockhaus.nbd.codec.NbdDecoderException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import java.util.List;

/**
 * Decodes transmission-phase requests: an {@link NbdRequest} per header and, when the request
 * carries a payload, {@link NbdPayloadChunk}s sliced from whatever has arrived (the claimed
 * length is never allocated up front). A zero-length payload still gets one empty last chunk, so
 * a handler can always wait for {@code last}.
 *
 * <p>Compact headers (28 bytes) carry a payload only for WRITE. Extended headers (32 bytes,
 * chosen at construction once NBD_OPT_EXTENDED_HEADERS was acknowledged) carry one exactly when
 * the PAYLOAD_LEN flag is set, as the spec frames it; a WRITE without the flag is left for the
 * handler to reject.
 *
 * <p>Payloads above {@code maxPayload} are announced as a failed header ({@code
 * PAYLOAD_TOO_LARGE}) and then discarded byte for byte (never buffered), followed by one empty
 * last chunk once they are gone, so the handler answers at the right moment and the next header
 * is found where it should be. Above {@link NbdLimits#PAYLOAD_HARD_CAP}, or on a wrong
 * magic, the decoder gives up: it emits one failed header and drops all further input.
 */
public final class NbdTransmissionDecoder extends ByteToMessageDecoder {
    enum State {
        READ_HEADER, READ_PAYLOAD, SKIP_PAYLOAD, BAD_MESSAGE
    }

    private final boolean extendedHeaders;
    private final int maxPayload;
    private State state = State.READ_HEADER;
    private long remaining;
    private NbdRequest payloadOf; // the request whose payload READ_PAYLOAD is decoding

    public NbdTransmissionDecoder(boolean extendedHeaders, int maxPayload) {
        if (maxPayload < 0 || maxPayload > NbdLimits.PAYLOAD_HARD_CAP) {
            throw new IllegalArgumentException("maxPayload out of range: " + maxPayload);
        }
        this.extendedHeaders = extendedHeaders;
        this.maxPayload = maxPayload;
    }

    State state() {
        return state;
    }

    /** Bytes received but not yet decoded (for tests asserting nothing is left over). */
    int buffered() {
        return actualReadableBytes();
    }

    /**
     * Whether none of {@code r}'s payload has been received yet: the decoder is waiting for exactly
     * that payload and holds no byte of it. Its bytes are then still in the socket, and a handler
     * may take some of them out of band ({@link #payloadTaken}).
     */
    public boolean payloadUnread(NbdRequest r) {
        return state == State.READ_PAYLOAD && payloadOf == r && remaining == r.length() && actualReadableBytes() == 0;
    }

    /**
     * The handler took the next {@code n} bytes of the current payload out of the socket itself
     * (splice): they are not to be expected here. When that was all of it, no chunk follows.
     */
    public void payloadTaken(long n) {
        if (state != State.READ_PAYLOAD || n < 0 || n > remaining) {
            throw new IllegalStateException("payload of " + remaining + " bytes to come, " + n + " taken, in " + state);
        }
        remaining -= n;
        if (remaining == 0) {
            state = State.READ_HEADER;
            payloadOf = null;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case READ_HEADER -> readHeader(in, out);
            case READ_PAYLOAD -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                if (n > 0) {
                    remaining -= n;
                    out.add(new NbdPayloadChunk(in.readRetainedSlice(n), remaining == 0));
                    if (remaining == 0) {
                        state = State.READ_HEADER;
                        payloadOf = null;
                    }
                }
            }
            case SKIP_PAYLOAD -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                in.skipBytes(n);
                remaining -= n;
                if (remaining == 0) {
                    // Tells the handler the refused payload is gone: only now may it answer, since
                    // a client still sending the payload does not count the request as in flight.
                    out.add(NbdPayloadChunk.EMPTY_LAST);
                    state = State.READ_HEADER;
                }
            }
            case BAD_MESSAGE -> in.skipBytes(in.readableBytes());
        }
    }

    private void readHeader(ByteBuf in, List<Object> out) {
        int headerLength = extendedHeaders
                ? NbdLimits.EXTENDED_REQUEST_HEADER_LENGTH : NbdLimits.REQUEST_HEADER_LENGTH;
        if (in.readableBytes() < headerLength) {
            return;
        }
        int magic = in.readInt();
        NbdCommandFlags flags = new NbdCommandFlags(in.readUnsignedShort());
        NbdCommand command = NbdCommand.valueOf(in.readUnsignedShort());
        long cookie = in.readLong();
        long offset = in.readLong();
        long length = extendedHeaders ? in.readLong() : in.readUnsignedInt();

        int expected = extendedHeaders ? NbdMagic.EXTENDED_REQUEST : NbdMagic.REQUEST;
        if (magic != expected) {
            out.add(fail(flags, command, cookie, offset, length, Reason.BAD_MAGIC,
                    "request magic 0x" + Integer.toHexString(magic)));
            in.skipBytes(in.readableBytes());
            return;
        }
        boolean hasPayload = extendedHeaders ? flags.has(NbdCommandFlags.PAYLOAD_LEN) : command.equals(NbdCommand.WRITE);
        if (!hasPayload) {
            out.add(new NbdRequest(flags, command, cookie, offset, length, extendedHeaders, false));
        } else if (Long.compareUnsigned(length, NbdLimits.PAYLOAD_HARD_CAP) > 0) {
            out.add(fail(flags, command, cookie, offset, length, Reason.PAYLOAD_UNRECOVERABLE,
                    Long.toUnsignedString(length) + " byte payload"));
            in.skipBytes(in.readableBytes());
        } else if (length > maxPayload) {
            out.add(new NbdRequest(flags, command, cookie, offset, length, extendedHeaders, false,
                    NbdDecoderException.failure(Reason.PAYLOAD_TOO_LARGE,
                            length + " byte payload, limit " + maxPayload)));
            remaining = length;
            state = State.SKIP_PAYLOAD;
        } else {
            NbdRequest request = new NbdRequest(flags, command, cookie, offset, length, extendedHeaders, true);
            out.add(request);
            if (length == 0) {
                out.add(NbdPayloadChunk.EMPTY_LAST);
            } else {
                remaining = length;
                payloadOf = request;
                state = State.READ_PAYLOAD;
            }
        }
    }

    private NbdRequest fail(NbdCommandFlags flags, NbdCommand command, long cookie, long offset, long length,
            Reason reason, String detail) {
        state = State.BAD_MESSAGE;
        DecoderResult result = NbdDecoderException.failure(reason, detail);
        return new NbdRequest(flags, command, cookie, offset, length, extendedHeaders, false, result);
    }
}
