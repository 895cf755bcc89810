/**
 * The NBD wire format: fixed-newstyle handshake and transmission messages, the value types for
 * their codes and flags, and the Netty decoders and encoders that turn bytes into those messages
 * and back (server side). Nothing here knows about volumes, exports or sockets; a handler in
 * another package decides what to answer.
 *
 * <p>Two codecs, one per protocol phase: {@link io.blockhaus.nbd.codec.NbdHandshakeCodec} from
 * connect until {@code NBD_OPT_GO} succeeds (or {@code NBD_OPT_EXPORT_NAME} is answered), then
 * {@link io.blockhaus.nbd.codec.NbdTransmissionCodec}. See {@code NbdHandshakeCodec} for how to
 * switch. Decoders never throw for bad input: they emit a message whose {@code decoderResult()}
 * is a failure carrying an {@link io.blockhaus.nbd.codec.NbdDecoderException} with a
 * {@link io.blockhaus.nbd.codec.NbdDecoderException.Reason}.
 *
 * <p>Specification: NetworkBlockDevice/nbd {@code doc/proto.md}; extended headers from its
 * {@code extension-ext-header} branch.
 */
package io.blockhaus.nbd.codec;
