package io.blockhaus.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads bhctl's text output back the way a person reads it: "name: value" lines and tables. */
final class TextOutput {
    private TextOutput() {
    }

    /** The "name: value" lines, keyed as the JSON keys are (spaces back to underscores). */
    static Map<String, String> fields(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0 && !line.startsWith(" ")) {
                out.put(line.substring(0, colon).replace(' ', '_'), line.substring(colon + 2).strip());
            }
        }
        return out;
    }

    /** The table whose title line starts with {@code firstTitle}: rows keyed by lower-case column titles. */
    static List<Map<String, String>> table(String text, String firstTitle) {
        List<Map<String, String>> rows = new ArrayList<>();
        String[] titles = null;
        for (String line : text.split("\n")) {
            if (titles == null) {
                if (line.startsWith(firstTitle.toUpperCase(Locale.ROOT) + " ")) {
                    titles = line.strip().toLowerCase(Locale.ROOT).split("\\s+");
                }
                continue;
            }
            if (line.isBlank()) {
                break;
            }
            String[] cells = line.strip().split("\\s+");
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < titles.length; i++) {
                row.put(titles[i], cells[i]);
            }
            rows.add(row);
        }
        if (titles == null) {
            throw new AssertionError("no table starting with " + firstTitle + " in:\n" + text);
        }
        return rows;
    }
}
