/**
 * The NBD front end: a Netty server that negotiates fixed-newstyle handshakes and turns
 * transmission requests into engine operations on a per-connection {@link
 * io.blockhaus.engine.Handle}. The wire format lives in {@code nbd.codec}; this package holds the
 * policy: which options and flags we offer, validation at the edge, flow control, error mapping,
 * and how large WRITE payloads travel from the socket (spliced into pipes, see {@code WriteSplicer}).
 */
package io.blockhaus.nbd;
