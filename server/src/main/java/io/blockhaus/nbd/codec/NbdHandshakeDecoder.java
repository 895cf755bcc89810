package io.blockhaus.nbd.codec;

import io.blockhaus.nbd.codec.NbdDecoderException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decodes what a client sends during the fixed-newstyle handshake: {@link NbdClientFlags}, then
 * {@link NbdOptionRequest}s. Option data up to {@link NbdLimits#MAX_OPTION_LENGTH} is parsed once
 * complete; longer data is reported at once as {@code OPTION_TOO_BIG} and then skipped as it
 * arrives, never buffered, so the server can answer ERR_TOO_BIG and stay in step.
 *
 * <p>After NBD_OPT_EXPORT_NAME the handshake is over whatever the server answers, so the decoder
 * stops consuming: bytes behind it belong to the transmission phase and are handed on untouched
 * when this decoder is replaced (see {@link NbdHandshakeCodec}).
 */
public final class NbdHandshakeDecoder extends ByteToMessageDecoder {
    enum State {
        READ_CLIENT_FLAGS, READ_OPTION_HEADER, READ_OPTION_DATA, SKIP_OPTION_DATA, HANDSHAKE_DONE, BAD_MESSAGE
    }

    private State state = State.READ_CLIENT_FLAGS;
    private NbdOption option;
    private long remaining;

    State state() {
        return state;
    }

    /** Bytes received but not yet decoded (for tests asserting nothing is left over). */
    int buffered() {
        return actualReadableBytes();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case READ_CLIENT_FLAGS -> {
                if (in.readableBytes() >= 4) {
                    out.add(new NbdClientFlags(in.readInt()));
                    state = State.READ_OPTION_HEADER;
                }
            }
            case READ_OPTION_HEADER -> readHeader(in, out);
            case READ_OPTION_DATA -> {
                if (in.readableBytes() >= remaining) {
                    out.add(NbdOptionParser.parse(option, in.readSlice((int) remaining)));
                    optionDone();
                }
            }
            case SKIP_OPTION_DATA -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                in.skipBytes(n);
                remaining -= n;
                if (remaining == 0) {
                    optionDone();
                }
            }
            case HANDSHAKE_DONE -> {
                // Leave everything in the cumulation for the transmission decoder.
            }
            case BAD_MESSAGE -> in.skipBytes(in.readableBytes());
        }
    }

    private void readHeader(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < NbdLimits.OPTION_HEADER_LENGTH) {
            return;
        }
        long magic = in.readLong();
        option = NbdOption.valueOf(in.readInt());
        remaining = in.readUnsignedInt();
        if (magic != NbdMagic.IHAVEOPT) {
            state = State.BAD_MESSAGE;
            out.add(new NbdOptionRequest.Plain(option, remaining,
                    NbdDecoderException.failure(Reason.BAD_MAGIC, "option magic 0x" + Long.toHexString(magic))));
            in.skipBytes(in.readableBytes());
        } else if (remaining > NbdLimits.MAX_OPTION_LENGTH) {
            state = State.SKIP_OPTION_DATA;
            out.add(new NbdOptionRequest.Plain(option, remaining,
                    NbdDecoderException.failure(Reason.OPTION_TOO_BIG, remaining + " bytes of option data")));
        } else if (remaining == 0) {
            // Handled here: ByteToMessageDecoder rejects a message produced without consuming input.
            out.add(NbdOptionParser.parse(option, in.readSlice(0)));
            optionDone();
        } else {
            state = State.READ_OPTION_DATA;
        }
    }

    private void optionDone() {
        state = option.equals(NbdOption.EXPORT_NAME) ? State.HANDSHAKE_DONE : State.READ_OPTION_HEADER;
        remaining = 0;
    }
}
