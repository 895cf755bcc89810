/**
 * Key material and peer identities for both front ends, and nothing protocol-specific.
 *
 * <p>What belongs here: the {@code serve} options ({@link io.blockhaus.tls.TlsOptions}, a picocli
 * mixin), their checked result ({@link io.blockhaus.tls.TlsConfig}: the mode plus either a
 * certificate ({@link io.blockhaus.tls.TlsMaterial}) or a pre-shared key file
 * ({@link io.blockhaus.tls.PskFile}), each validated at start-up so that a wrong path, an expired
 * certificate, a key that does not match, or a malformed PSK line stops the server with one
 * message), who a client is once its handshake is done ({@link io.blockhaus.tls.PeerIdentity}),
 * which exports it may open ({@link io.blockhaus.tls.AllowList}, {@link io.blockhaus.tls.ExportAccess}),
 * and the seam through which a front end puts TLS on a connection
 * ({@link io.blockhaus.tls.TlsHandlerFactory}: X.509 through the JDK's TLS here, PSK through
 * Bouncy Castle beside it, both with their handshakes' CPU on a
 * {@link io.blockhaus.tls.HandshakePool} rather than the event loops;
 * {@link io.blockhaus.tls.JdkTls}: the same certificate as plain JSSE, for the metrics port's
 * HTTPS server, which is not Netty's).
 *
 * <p>What does not: when a front end starts TLS (NBD's STARTTLS lives in {@code io.blockhaus.nbd}),
 * and how it answers a refusal (NBD_REP_ERR_UNKNOWN, gRPC NOT_FOUND). Nothing here imports the
 * engine, so both front ends and the server can use it.
 */
package io.blockhaus.tls;
