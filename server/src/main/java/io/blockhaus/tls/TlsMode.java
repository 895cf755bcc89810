package io.blockhaus.tls;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/**
 * The three TLS policies of the NBD specification (its NOTLS, SELECTIVETLS and FORCEDTLS, as
 * nbdkit and qemu-nbd name them {@code off}, {@code on} and {@code require}).
 */
public enum TlsMode {
    /** No TLS: STARTTLS is refused, every client is anonymous. */
    OFF("off"),
    /** TLS offered: a client may upgrade, or stay in the clear (and then be anonymous). */
    ON("on"),
    /** TLS required: nothing but STARTTLS and ABORT is answered in the clear; no export is named. */
    REQUIRE("require");

    private final String label;

    TlsMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** {@code off}, {@code on} or {@code require}, any case. */
    public static TlsMode fromLabel(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        for (TlsMode m : values()) {
            if (m.label.equals(t)) {
                return m;
            }
        }
        throw new IllegalArgumentException("TLS mode '" + text + "': use off, on or require");
    }

    /** For picocli. */
    public static final class Converter implements ITypeConverter<TlsMode> {
        @Override
        public TlsMode convert(String value) {
            return fromLabel(value);
        }
    }
}
