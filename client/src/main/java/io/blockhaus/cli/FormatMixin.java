package io.blockhaus.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code -o text|json}, shared by every command that reports something. */
public final class FormatMixin {
    /** The output formats. */
    public enum Format { text, json }

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); json is one object, for scripts.")
    Format format = Format.text;

    void print(Report report, PrintWriter out) {
        out.print(format == Format.json ? Json.of(report) : TextLayout.of(report));
        out.flush();
    }

    boolean json() {
        return format == Format.json;
    }
}
