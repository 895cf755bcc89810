package io.blockhaus.nbd.codec;

/**
 * An error value in a simple reply or an error chunk. The spec restricts these to a few
 * errno-like numbers so they mean the same on every platform; the record still carries any value
 * so a handler's mistake shows up on the wire instead of as an exception here.
 */
public record NbdError(int code) {
    public static final NbdError OK = new NbdError(0);
    public static final NbdError EPERM = new NbdError(1);
    public static final NbdError EIO = new NbdError(5);
    public static final NbdError ENOMEM = new NbdError(12);
    public static final NbdError EINVAL = new NbdError(22);
    public static final NbdError ENOSPC = new NbdError(28);
    public static final NbdError EOVERFLOW = new NbdError(75);
    public static final NbdError ENOTSUP = new NbdError(95);
    public static final NbdError ESHUTDOWN = new NbdError(108);

    public static NbdError valueOf(int code) {
        return new NbdError(code);
    }

    public boolean isError() {
        return code != 0;
    }

    public String name() {
        return switch (code) {
            case 0 -> "OK";
            case 1 -> "EPERM";
            case 5 -> "EIO";
            case 12 -> "ENOMEM";
            case 22 -> "EINVAL";
            case 28 -> "ENOSPC";
            case 75 -> "EOVERFLOW";
            case 95 -> "ENOTSUP";
            case 108 -> "ESHUTDOWN";
            default -> NbdNames.unknown(code);
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
