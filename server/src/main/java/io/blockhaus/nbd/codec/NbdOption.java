package io.blockhaus.nbd.codec;

/**
 * An option code sent by the client during haggling. A record rather than an enum so that codes
 * this server does not know still decode (the spec wants them answered with ERR_UNSUP, not a
 * dropped connection).
 */
public record NbdOption(int code) {
    public static final NbdOption EXPORT_NAME = new NbdOption(1);
    public static final NbdOption ABORT = new NbdOption(2);
    public static final NbdOption LIST = new NbdOption(3);
    public static final NbdOption STARTTLS = new NbdOption(5);
    public static final NbdOption INFO = new NbdOption(6);
    public static final NbdOption GO = new NbdOption(7);
    public static final NbdOption STRUCTURED_REPLY = new NbdOption(8);
    public static final NbdOption LIST_META_CONTEXT = new NbdOption(9);
    public static final NbdOption SET_META_CONTEXT = new NbdOption(10);
    public static final NbdOption EXTENDED_HEADERS = new NbdOption(11);

    public static NbdOption valueOf(int code) {
        return new NbdOption(code);
    }

    public String name() {
        return switch (code) {
            case 1 -> "EXPORT_NAME";
            case 2 -> "ABORT";
            case 3 -> "LIST";
            case 5 -> "STARTTLS";
            case 6 -> "INFO";
            case 7 -> "GO";
            case 8 -> "STRUCTURED_REPLY";
            case 9 -> "LIST_META_CONTEXT";
            case 10 -> "SET_META_CONTEXT";
            case 11 -> "EXTENDED_HEADERS";
            default -> NbdNames.unknown(code);
        };
    }

    public boolean isKnown() {
        return !NbdNames.isUnknown(name());
    }

    @Override
    public String toString() {
        return name();
    }
}
