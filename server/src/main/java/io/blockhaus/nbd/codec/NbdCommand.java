package io.blockhaus.nbd.codec;

/**
 * The 16-bit type of a transmission request. Unknown codes decode into an instance too, because
 * the spec wants EINVAL for them, not a broken connection.
 */
public record NbdCommand(int code) {
    public static final NbdCommand READ = new NbdCommand(0);
    public static final NbdCommand WRITE = new NbdCommand(1);
    public static final NbdCommand DISC = new NbdCommand(2);
    public static final NbdCommand FLUSH = new NbdCommand(3);
    public static final NbdCommand TRIM = new NbdCommand(4);
    public static final NbdCommand CACHE = new NbdCommand(5);
    public static final NbdCommand WRITE_ZEROES = new NbdCommand(6);
    public static final NbdCommand BLOCK_STATUS = new NbdCommand(7);
    public static final NbdCommand RESIZE = new NbdCommand(8);

    public NbdCommand {
        NbdNames.checkUnsigned16(code);
    }

    private static final NbdCommand[] KNOWN = {READ, WRITE, DISC, FLUSH, TRIM, CACHE, WRITE_ZEROES, BLOCK_STATUS, RESIZE};

    /** The shared instance for a known code (no allocation per request), a new one otherwise. */
    public static NbdCommand valueOf(int code) {
        return code >= 0 && code < KNOWN.length ? KNOWN[code] : new NbdCommand(code);
    }

    public String name() {
        return switch (code) {
            case 0 -> "READ";
            case 1 -> "WRITE";
            case 2 -> "DISC";
            case 3 -> "FLUSH";
            case 4 -> "TRIM";
            case 5 -> "CACHE";
            case 6 -> "WRITE_ZEROES";
            case 7 -> "BLOCK_STATUS";
            case 8 -> "RESIZE";
            default -> NbdNames.unknown(code);
        };
    }

    public boolean isKnown() {
        return code >= 0 && code < KNOWN.length;
    }

    /*
     * equals and hashCode written out: a record's generated ones go through an invokedynamic
     * method-handle chain that JFR showed in ~4 % of the event loop's samples, since every request
     * is compared with the constants several times on its way (validator, dispatcher, window).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof NbdCommand other && other.code == code;
    }

    @Override
    public int hashCode() {
        return code;
    }

    @Override
    public String toString() {
        return name();
    }
}
