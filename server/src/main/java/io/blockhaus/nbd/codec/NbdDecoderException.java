package io.blockhaus.nbd.codec;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;

/**
 * Why a decoder marked a message as failed. Decoders never throw this; they wrap it in a failed
 * {@link io.netty.handler.codec.DecoderResult} on the message so the handler can pick the right
 * answer (an option error, an NBD error reply, or a disconnect) from {@link #reason()}.
 */
public final class NbdDecoderException extends DecoderException {
    /** What went wrong, and what it means for the rest of the stream. */
    public enum Reason {
        /** Magic number mismatch; the stream cannot be re-synchronised. */
        BAD_MAGIC(false),
        /** Option data above {@link NbdLimits#MAX_OPTION_LENGTH}; it was skipped unread. */
        OPTION_TOO_BIG(true),
        /** A string inside an option is longer than {@link NbdLimits#MAX_STRING_LENGTH}. */
        STRING_TOO_LONG(true),
        /** Option data whose inner lengths disagree with the option length, or bad UTF-8/NUL. */
        MALFORMED_OPTION(true),
        /** Request payload above the decoder's maximum; it is being skipped, stream stays usable. */
        PAYLOAD_TOO_LARGE(true),
        /** Request payload above {@link NbdLimits#PAYLOAD_HARD_CAP}; nothing more is decoded. */
        PAYLOAD_UNRECOVERABLE(false);

        private final boolean recoverable;

        Reason(boolean recoverable) {
            this.recoverable = recoverable;
        }

        /** Whether decoding continues after this failure (false: the server should disconnect). */
        public boolean recoverable() {
            return recoverable;
        }
    }

    private final Reason reason;

    public NbdDecoderException(Reason reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    /** A failed result carrying a new exception of this type. */
    static DecoderResult failure(Reason reason, String detail) {
        return DecoderResult.failure(new NbdDecoderException(reason, detail));
    }

    /** The reason behind a failed result, or null if it succeeded or failed for another cause. */
    public static Reason reasonOf(DecoderResult result) {
        return result.cause() instanceof NbdDecoderException e ? e.reason() : null;
    }

    /** Never thrown, only carried in a result: a stack trace would be cost without information. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    public Reason reason() {
        return reason;
    }
}
