package io.blockhaus.limits;

/**
 * Text a client sent, made fit to quote in an error or a log line: at most {@value #MAX_SHOWN}
 * characters, control and format characters (NUL, escape, bidi overrides), quote and backslash
 * escaped; letters of any script are shown as they are. A refused 10 KiB name must not come back as
 * a 10 KiB error (nor fill the log), and a NUL or an escape sequence must not reach a terminal.
 */
public final class UntrustedText {
    static final int MAX_SHOWN = 64;

    private UntrustedText() {
    }

    /** {@code 'text'}, shortened and escaped; says how long the original was when shortened. */
    public static String quote(String text) {
        return quote(text, MAX_SHOWN);
    }

    /** {@link #quote(String)} showing up to {@code maxShown} characters (an operator's whole option, say). */
    public static String quote(String text, int maxShown) {
        if (text == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder("'");
        int shown = Math.min(text.length(), maxShown);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (!Character.isISOControl(c) && Character.getType(c) != Character.FORMAT && c != '\\' && c != '\'') {
                b.append(c);
            } else {
                b.append(String.format(c < 0x100 ? "\\x%02x" : "\\u%04x", (int) c));
            }
        }
        b.append('\'');
        if (shown < text.length()) {
            b.append("... (").append(text.length()).append(" characters)");
        }
        return b.toString();
    }
}
