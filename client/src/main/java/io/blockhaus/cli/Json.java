package io.blockhaus.cli;

import java.util.List;
import java.util.Map;

/** Writes a {@link Report} as one JSON object: a few lines instead of a JSON library in the jar. */
final class Json {
    private Json() {
    }

    static String of(Report report) {
        StringBuilder b = new StringBuilder();
        object(b, report.fields(), "");
        return b.append('\n').toString();
    }

    private static void object(StringBuilder b, Map<String, Object> fields, String indent) {
        b.append('{');
        String sep = "\n";
        for (var e : fields.entrySet()) {
            b.append(sep).append(indent).append("  ");
            string(b, e.getKey());
            b.append(": ");
            value(b, e.getValue(), indent + "  ");
            sep = ",\n";
        }
        b.append('\n').append(indent).append('}');
    }

    private static void value(StringBuilder b, Object v, String indent) {
        switch (v) {
            case null -> b.append("null");
            case Number n -> b.append(Report.scalar(n));
            case Boolean f -> b.append(f);
            case Report.Table t -> table(b, t, indent);
            default -> string(b, v.toString());
        }
    }

    private static void table(StringBuilder b, Report.Table t, String indent) {
        b.append('[');
        String sep = "\n";
        for (List<Object> row : t.rows()) {
            b.append(sep).append(indent).append("  {");
            for (int i = 0; i < row.size(); i++) {
                b.append(i == 0 ? "" : ", ");
                string(b, t.columns().get(i));
                b.append(": ");
                value(b, row.get(i), indent);
            }
            b.append('}');
            sep = ",\n";
        }
        b.append(t.rows().isEmpty() ? "]" : "\n" + indent + "]");
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
