package io.blockhaus.tls;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code --tls-psk} file in the format GnuTLS's {@code psktool} writes and nbdkit, qemu-nbd and
 * libnbd read: one {@code identity:hexkey} per line, e.g.
 * {@code alice:2d0c...e1} (psktool's default key is 32 bytes, 64 hex digits).
 *
 * <p>Read strictly, because a line that is silently skipped is a client that cannot get in and an
 * operator who does not know why: every non-empty line must be {@code identity:hexkey}; the
 * identity is 1 to {@value #MAX_IDENTITY_BYTES} printable characters without {@code :} (psktool
 * splits at the first one); the key an even number of hex digits, at least
 * {@value #MIN_KEY_BYTES} bytes; no identity twice. An empty file is an error too: nobody could
 * connect. Each error names the file and the line.
 *
 * @param source  the file, for messages
 * @param entries the identities and their keys, in file order
 */
public record PskFile(Path source, List<Entry> entries) {
    /** TLS carries a PSK identity in a 16-bit length; we keep them to what fits a log line. */
    public static final int MAX_IDENTITY_BYTES = 255;
    /** Below 128 bits a key can be searched; psktool never writes one this short. */
    public static final int MIN_KEY_BYTES = 16;

    /** One line: an identity and its key. */
    public record Entry(String identity, byte[] key) {
        public Entry {
            Objects.requireNonNull(identity, "identity");
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.identity.equals(identity) && Arrays.equals(e.key, key);
        }

        @Override
        public int hashCode() {
            return identity.hashCode() * 31 + Arrays.hashCode(key);
        }

        /** Never the key: records print their components, and this one ends up in logs. */
        @Override
        public String toString() {
            return "Entry[" + identity + ", " + key.length + "-byte key]";
        }
    }

    public PskFile {
        Objects.requireNonNull(source, "source");
        entries = List.copyOf(entries);
    }

    /** Reads and checks {@code file}. @throws TlsConfigException naming the file and line */
    public static PskFile load(Path file) {
        return parse(file, TlsMaterial.text("--tls-psk", file));
    }

    /** Parses {@code text} as the contents of {@code file}. @throws TlsConfigException naming the file and line */
    public static PskFile parse(Path file, String text) {
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> lineOf = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw bad(file, n, "expected identity:hexkey, found no ':'");
            }
            String identity = line.substring(0, colon);
            String hex = line.substring(colon + 1).strip();
            if (identity.isEmpty()) {
                throw bad(file, n, "empty identity before ':'");
            }
            if (identity.length() > MAX_IDENTITY_BYTES) {
                throw bad(file, n, "identity longer than " + MAX_IDENTITY_BYTES + " characters");
            }
            if (identity.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
                throw bad(file, n, "identity '" + identity.strip() + "' has a space, control or non-ASCII character");
            }
            if (hex.isEmpty()) {
                throw bad(file, n, "no key after '" + identity + ":'");
            }
            if ((hex.length() & 1) != 0) {
                throw bad(file, n, "key of identity '" + identity + "' has an odd number of hex digits");
            }
            byte[] key;
            try {
                key = HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw bad(file, n, "key of identity '" + identity + "' is not hexadecimal");
            }
            if (key.length < MIN_KEY_BYTES) {
                throw bad(file, n, "key of identity '" + identity + "' is " + key.length + " bytes; at least "
                        + MIN_KEY_BYTES + " are needed (psktool -u " + identity + " -p FILE makes a 32-byte one)");
            }
            Integer before = lineOf.putIfAbsent(identity, n);
            if (before != null) {
                throw bad(file, n, "identity '" + identity + "' given again (first on line " + before + ")");
            }
            entries.add(new Entry(identity, key));
        }
        if (entries.isEmpty()) {
            throw new TlsConfigException("--tls-psk " + file + ": no identity:hexkey line in the file");
        }
        return new PskFile(file, entries);
    }

    /** The key of {@code identity}, if the file has one. */
    public Optional<byte[]> keyOf(String identity) {
        for (Entry e : entries) {
            if (e.identity().equals(identity)) {
                return Optional.of(e.key());
            }
        }
        return Optional.empty();
    }

    private static TlsConfigException bad(Path file, int line, String why) {
        return new TlsConfigException("--tls-psk " + file + " line " + line + ": " + why);
    }
}
