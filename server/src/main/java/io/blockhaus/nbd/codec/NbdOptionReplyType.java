package io.blockhaus.nbd.codec;

/** The reply type of a fixed-newstyle option reply; error types have bit 31 set. */
public record NbdOptionReplyType(int code) {
    private static final int ERROR_BIT = 1 << 31;

    public static final NbdOptionReplyType ACK = new NbdOptionReplyType(1);
    public static final NbdOptionReplyType SERVER = new NbdOptionReplyType(2);
    public static final NbdOptionReplyType INFO = new NbdOptionReplyType(3);
    public static final NbdOptionReplyType META_CONTEXT = new NbdOptionReplyType(4);
    public static final NbdOptionReplyType ERR_UNSUP = error(1);
    public static final NbdOptionReplyType ERR_POLICY = error(2);
    public static final NbdOptionReplyType ERR_INVALID = error(3);
    public static final NbdOptionReplyType ERR_PLATFORM = error(4);
    public static final NbdOptionReplyType ERR_TLS_REQD = error(5);
    public static final NbdOptionReplyType ERR_UNKNOWN = error(6);
    public static final NbdOptionReplyType ERR_SHUTDOWN = error(7);
    public static final NbdOptionReplyType ERR_BLOCK_SIZE_REQD = error(8);
    public static final NbdOptionReplyType ERR_TOO_BIG = error(9);
    public static final NbdOptionReplyType ERR_EXT_HEADER_REQD = error(10);

    private static NbdOptionReplyType error(int n) {
        return new NbdOptionReplyType(ERROR_BIT | n);
    }

    public static NbdOptionReplyType valueOf(int code) {
        return new NbdOptionReplyType(code);
    }

    public boolean isError() {
        return (code & ERROR_BIT) != 0;
    }

    public String name() {
        if (isError()) {
            return switch (code & ~ERROR_BIT) {
                case 1 -> "ERR_UNSUP";
                case 2 -> "ERR_POLICY";
                case 3 -> "ERR_INVALID";
                case 4 -> "ERR_PLATFORM";
                case 5 -> "ERR_TLS_REQD";
                case 6 -> "ERR_UNKNOWN";
                case 7 -> "ERR_SHUTDOWN";
                case 8 -> "ERR_BLOCK_SIZE_REQD";
                case 9 -> "ERR_TOO_BIG";
                case 10 -> "ERR_EXT_HEADER_REQD";
                default -> NbdNames.unknown(code);
            };
        }
        return switch (code) {
            case 1 -> "ACK";
            case 2 -> "SERVER";
            case 3 -> "INFO";
            case 4 -> "META_CONTEXT";
            default -> NbdNames.unknown(code);
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
