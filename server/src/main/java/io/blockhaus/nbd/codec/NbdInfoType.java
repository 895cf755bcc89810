package io.blockhaus.nbd.codec;

/** A 16-bit information type, requested in NBD_OPT_INFO/GO and answered in NBD_REP_INFO. */
public record NbdInfoType(int code) {
    public static final NbdInfoType EXPORT = new NbdInfoType(0);
    public static final NbdInfoType NAME = new NbdInfoType(1);
    public static final NbdInfoType DESCRIPTION = new NbdInfoType(2);
    public static final NbdInfoType BLOCK_SIZE = new NbdInfoType(3);

    public NbdInfoType {
        NbdNames.checkUnsigned16(code);
    }

    public static NbdInfoType valueOf(int code) {
        return new NbdInfoType(code);
    }

    public String name() {
        return switch (code) {
            case 0 -> "EXPORT";
            case 1 -> "NAME";
            case 2 -> "DESCRIPTION";
            case 3 -> "BLOCK_SIZE";
            default -> NbdNames.unknown(code);
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
