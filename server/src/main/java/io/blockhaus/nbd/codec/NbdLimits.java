package io.blockhaus.nbd.codec;

/**
 * Sizes fixed by the protocol and the limits this codec enforces before allocating anything.
 * Every length a peer sends is checked against one of these first, so a hostile length costs at
 * most a skip, never an allocation of its size.
 */
public final class NbdLimits {
    /** Spec: strings (export names, queries, messages) MUST be no longer than 4096 bytes. */
    public static final int MAX_STRING_LENGTH = 4096;
    /**
     * Largest option payload we buffer. Real options are a name plus a few small fields; longer
     * ones are skipped unread and reported as {@link NbdDecoderException.Reason#OPTION_TOO_BIG}.
     */
    public static final int MAX_OPTION_LENGTH = 64 * 1024;
    /** Spec default and usual maximum payload (32 MiB) when the server advertises no other. */
    public static final int DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
    /**
     * Above this a request payload length is treated as garbage or abuse: the decoder stops
     * instead of discarding that many bytes, and the server disconnects (the spec allows a hard
     * disconnect for payloads beyond the advertised maximum). Between the configured maximum and
     * this cap the payload is skipped so the connection survives with an error reply.
     */
    public static final long PAYLOAD_HARD_CAP = 64L * 1024 * 1024 + 64 * 1024;

    public static final int OPTION_HEADER_LENGTH = 16;
    public static final int REQUEST_HEADER_LENGTH = 28;
    public static final int EXTENDED_REQUEST_HEADER_LENGTH = 32;
    public static final int SIMPLE_REPLY_HEADER_LENGTH = 16;
    public static final int STRUCTURED_REPLY_HEADER_LENGTH = 20;
    public static final int EXTENDED_REPLY_HEADER_LENGTH = 32;
    /** Reserved zeroes after an NBD_OPT_EXPORT_NAME reply unless NO_ZEROES was agreed. */
    public static final int EXPORT_NAME_REPLY_ZEROES = 124;

    private NbdLimits() {
    }
}
