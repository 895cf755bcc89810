package io.blockhaus.nbd.codec;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 the way the spec defines NBD strings: valid, no NUL, at most 4096 bytes. */
final class NbdStrings {
    private NbdStrings() {
    }

    /** Decodes {@code length} bytes at the reader index, or returns null if they are not an NBD string. */
    static String read(ByteBuf in, int length) {
        ByteBuffer bytes = in.nioBuffer(in.readerIndex(), length);
        in.skipBytes(length);
        try {
            // Strict decoder: String(byte[], UTF_8) would silently replace bad bytes.
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
            return s.indexOf('\0') < 0 ? s : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Encodes for sending; a handler passing an over-long string is a bug, not a peer problem. */
    static byte[] bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > NbdLimits.MAX_STRING_LENGTH) {
            throw new IllegalArgumentException("NBD string longer than " + NbdLimits.MAX_STRING_LENGTH + " bytes");
        }
        return b;
    }
}
