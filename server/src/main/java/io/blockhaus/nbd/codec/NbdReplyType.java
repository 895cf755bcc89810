package io.blockhaus.nbd.codec;

/** The 16-bit type of a structured (or extended) reply chunk; error types have bit 15 set. */
public record NbdReplyType(int code) {
    private static final int ERROR_BIT = 1 << 15;

    public static final NbdReplyType NONE = new NbdReplyType(0);
    public static final NbdReplyType OFFSET_DATA = new NbdReplyType(1);
    public static final NbdReplyType OFFSET_HOLE = new NbdReplyType(2);
    public static final NbdReplyType BLOCK_STATUS = new NbdReplyType(5);
    public static final NbdReplyType BLOCK_STATUS_EXT = new NbdReplyType(6);
    public static final NbdReplyType ERROR = new NbdReplyType(ERROR_BIT | 1);
    public static final NbdReplyType ERROR_OFFSET = new NbdReplyType(ERROR_BIT | 2);

    public NbdReplyType {
        NbdNames.checkUnsigned16(code);
    }

    public static NbdReplyType valueOf(int code) {
        return new NbdReplyType(code);
    }

    public boolean isError() {
        return (code & ERROR_BIT) != 0;
    }

    public String name() {
        return switch (code) {
            case 0 -> "NONE";
            case 1 -> "OFFSET_DATA";
            case 2 -> "OFFSET_HOLE";
            case 5 -> "BLOCK_STATUS";
            case 6 -> "BLOCK_STATUS_EXT";
            case ERROR_BIT | 1 -> "ERROR";
            case ERROR_BIT | 2 -> "ERROR_OFFSET";
            default -> NbdNames.unknown(code);
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
