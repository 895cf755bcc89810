package io.blockhaus.tls.psk;

import java.util.Optional;

/**
 * Identity to key, as a psktool file lists them ({@code identity:hexkey} per line). The TLS
 * server asks it once per handshake, on the event loop: an implementation answers from memory.
 */
@FunctionalInterface
public interface PskKeyring {

    /** The key of {@code identity} (a copy the caller may keep), or empty if it has none. */
    Optional<byte[]> keyFor(String identity);
}
