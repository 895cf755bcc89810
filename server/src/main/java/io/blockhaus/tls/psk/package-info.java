/**
 * TLS with pre-shared keys (TLS-PSK), as nbdkit and qemu-nbd offer it to users without a PKI.
 * The JDK's TLS has no external PSKs, so this package runs Bouncy Castle's non-blocking TLS
 * engine ({@code org.bouncycastle.tls.TlsServerProtocol}) under Netty: {@link PskTlsServer} says
 * which versions, suites and keys the server accepts, {@link PskTlsHandler} moves bytes between
 * the socket and that engine (its handshake steps on a pool, reading stopped meanwhile by
 * {@link ReadPause}), and {@link PskKeyring} is the lookup from identity to key that a
 * psktool file fills. The identity the client proved it holds the key for is its identity for
 * access control. Nothing here knows NBD: the NBD handshake inserts the handler at STARTTLS.
 */
package io.blockhaus.tls.psk;
