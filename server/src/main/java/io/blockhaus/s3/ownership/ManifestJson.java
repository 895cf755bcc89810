package io.blockhaus.s3.ownership;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A manifest as one flat JSON object, written and read by hand: the format is a dozen scalar
 * fields, which does not justify a JSON library on the server's class path. The reader accepts
 * any flat object of strings, integers, booleans and nulls (unknown fields are ignored, so a later
 * format may add fields); nested values are refused.
 *
 * <pre>{"format":1,"version":7,"epoch":3,"owner":"host-a:4242","state":"OWNED","leaseMillis":60000,
 *  "quietMillis":0,"size":1073741824,"objectSize":4194304,"pageSize":4096}</pre>
 */
final class ManifestJson {
    private ManifestJson() {
    }

    static byte[] write(Manifest m) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "format", m.format()).append(',');
        field(b, "version", m.version()).append(',');
        field(b, "epoch", m.epoch()).append(',');
        b.append("\"owner\":");
        string(b, m.owner()).append(',');
        b.append("\"state\":");
        string(b, m.state().name()).append(',');
        field(b, "leaseMillis", m.leaseMillis()).append(',');
        field(b, "quietMillis", m.quietMillis()).append(',');
        field(b, "size", m.size()).append(',');
        field(b, "objectSize", m.objectSize()).append(',');
        field(b, "pageSize", m.pageSize());
        return b.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a manifest this server understands
     *                                  (malformed, a field missing, or a newer format)
     */
    static Manifest read(byte[] json) {
        Map<String, Object> f = new Parser(new String(json, StandardCharsets.UTF_8)).object();
        int format = (int) number(f, "format");
        if (format != Manifest.FORMAT) {
            throw new IllegalArgumentException("manifest format " + format + " is not " + Manifest.FORMAT
                    + " (written by a newer Blockhaus?)");
        }
        return new Manifest(format, number(f, "version"), number(f, "epoch"), text(f, "owner"),
                Manifest.State.valueOf(text(f, "state")), number(f, "leaseMillis"), number(f, "quietMillis"),
                number(f, "size"), Math.toIntExact(number(f, "objectSize")), Math.toIntExact(number(f, "pageSize")));
    }

    private static StringBuilder field(StringBuilder b, String name, long value) {
        return b.append('"').append(name).append("\":").append(value);
    }

    private static StringBuilder string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }

    private static long number(Map<String, Object> f, String name) {
        if (f.get(name) instanceof Long l) {
            return l;
        }
        throw new IllegalArgumentException("manifest field " + name + " is missing or not an integer");
    }

    private static String text(Map<String, Object> f, String name) {
        if (f.get(name) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("manifest field " + name + " is missing or not a string");
    }

    /** A recursive-descent reader for one flat object. */
    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Map<String, Object> object() {
            Map<String, Object> out = new LinkedHashMap<>();
            expect('{');
            if (peek() == '}') {
                i++;
            } else {
                do {
                    String name = string();
                    expect(':');
                    out.put(name, value());
                } while (next() == ',');
                i--;
                expect('}');
            }
            if (peek() != 0) {
                throw error("trailing characters");
            }
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            if (c == '-' || (c >= '0' && c <= '9')) {
                int start = i;
                i++;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                    i++;
                }
                try {
                    return Long.parseLong(s, start, i, 10);
                } catch (NumberFormatException e) {
                    throw error("not an integer");
                }
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (s.startsWith(word, i)) {
                    i += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            throw error("unexpected value");
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s, i, i + 4, 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw error("bad escape");
                }
            }
        }

        /** The next character that is not white space, or 0 at the end. */
        private char peek() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i < s.length() ? s.charAt(i) : 0;
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("malformed manifest JSON at character " + i + ": " + what);
        }
    }
}
