package io.blockhaus.nbd.codec;

/** The first thing the server sends: NBDMAGIC, IHAVEOPT and its handshake flags. */
public record NbdServerGreeting(NbdHandshakeFlags flags) {
}
