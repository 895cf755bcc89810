package io.blockhaus.tls;

import java.io.ByteArrayOutputStream;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one unencrypted private key from PEM text: PKCS#8 ({@code BEGIN PRIVATE KEY}, what
 * {@code openssl genpkey} and recent {@code certtool} write), PKCS#1 RSA ({@code BEGIN RSA PRIVATE
 * KEY}) and SEC1 EC ({@code BEGIN EC PRIVATE KEY}), the latter two by wrapping them in the PKCS#8
 * structure the JDK reads, so no extra provider is needed. An encrypted key is refused with a hint:
 * a server that starts unattended cannot ask for a passphrase.
 */
final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final List<String> ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");
    /** DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** DER of the OID id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemKeys() {
    }

    /**
     * The one private key in {@code pem}.
     *
     * @throws IllegalArgumentException with a one-line reason when there is none, more than one, an
     *         encrypted one, or one the JDK cannot read
     */
    static PrivateKey read(String pem) {
        Matcher m = BLOCK.matcher(pem);
        String type = null;
        byte[] der = null;
        while (m.find()) {
            if (!m.group(1).endsWith("PRIVATE KEY")) {
                continue;
            }
            if (type != null) {
                throw new IllegalArgumentException("more than one private key in the file");
            }
            type = m.group(1);
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + type + " block is not valid base64");
            }
        }
        if (type == null) {
            throw new IllegalArgumentException("no PEM private key (-----BEGIN PRIVATE KEY-----) in the file");
        }
        byte[] pkcs8 = switch (type) {
            case "PRIVATE KEY" -> der;
            case "RSA PRIVATE KEY" -> sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, octetString(der)));
            case "EC PRIVATE KEY" -> ecToPkcs8(der);
            case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(
                    "the key is encrypted; the server cannot ask for a passphrase: decrypt it with"
                            + " 'openssl pkey -in KEY -out PLAIN' and protect the file by its permissions");
            default -> throw new IllegalArgumentException("unsupported key type '" + type
                    + "': use PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 RSA or SEC1 EC");
        };
        for (String algorithm : ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("the " + type + " block is not an RSA, EC, EdDSA or DSA key the JDK can read");
    }

    /**
     * SEC1 {@code ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters, [1] publicKey }}
     * into PKCS#8, whose AlgorithmIdentifier carries the curve that SEC1 keeps in {@code [0]}.
     */
    private static byte[] ecToPkcs8(byte[] sec1) {
        Der seq = Der.at(sec1, 0);
        if (seq.tag != 0x30) {
            throw new IllegalArgumentException("the EC PRIVATE KEY block is not a DER sequence");
        }
        byte[] curve = null;
        for (int pos = seq.contentStart; pos < seq.end; ) {
            Der item = Der.at(sec1, pos);
            if (item.tag == (byte) 0xa0) {
                curve = java.util.Arrays.copyOfRange(sec1, item.contentStart, item.end);
            }
            pos = item.end;
        }
        if (curve == null) {
            throw new IllegalArgumentException("the EC PRIVATE KEY names no curve; convert it with 'openssl pkcs8 -topk8 -nocrypt'");
        }
        byte[] algorithm = sequence(concat(EC_PUBLIC_KEY_OID, curve));
        return sequence(concat(new byte[] {0x02, 0x01, 0x00}, algorithm, octetString(sec1)));
    }

    private static byte[] sequence(byte[] content) {
        return tagged(0x30, content);
    }

    private static byte[] octetString(byte[] content) {
        return tagged(0x04, content);
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One DER element's tag and extent: enough to walk a SEC1 key, no more. */
    private record Der(byte tag, int contentStart, int end) {
        static Der at(byte[] b, int pos) {
            if (pos + 2 > b.length) {
                throw new IllegalArgumentException("truncated DER in the key");
            }
            byte tag = b[pos];
            int len = b[pos + 1] & 0xff;
            int start = pos + 2;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes < 1 || bytes > 3 || start + bytes > b.length) {
                    throw new IllegalArgumentException("bad DER length in the key");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (b[start + i] & 0xff);
                }
                start += bytes;
            }
            if (start + len > b.length) {
                throw new IllegalArgumentException("truncated DER in the key");
            }
            return new Der(tag, start, start + len);
        }
    }
}
