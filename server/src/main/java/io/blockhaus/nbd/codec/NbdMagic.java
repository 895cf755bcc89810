package io.blockhaus.nbd.codec;

/** Magic numbers that frame every NBD message; a mismatch means the peer is not speaking NBD. */
public final class NbdMagic {
    /** ASCII "NBDMAGIC", first 8 bytes the server sends. */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** ASCII "IHAVEOPT", sent after NBDMAGIC and in front of every client option. */
    public static final long IHAVEOPT = 0x49484156454f5054L;
    /** Starts every fixed-newstyle option reply. */
    public static final long OPTION_REPLY = 0x3e889045565a9L;
    public static final int REQUEST = 0x25609513;
    public static final int EXTENDED_REQUEST = 0x21e41c71;
    public static final int SIMPLE_REPLY = 0x67446698;
    public static final int STRUCTURED_REPLY = 0x668e33ef;
    public static final int EXTENDED_REPLY = 0x6e8a278c;

    private NbdMagic() {
    }
}
