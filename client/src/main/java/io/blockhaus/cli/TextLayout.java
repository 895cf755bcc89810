package io.blockhaus.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a {@link Report} for people: scalar fields as aligned "name: value" lines, tables as
 * columns under upper-case titles, numbers right-aligned. A report that is one table prints just
 * the table.
 */
final class TextLayout {
    private TextLayout() {
    }

    static String of(Report report) {
        StringBuilder b = new StringBuilder();
        int width = report.fields().entrySet().stream().filter(e -> !(e.getValue() instanceof Report.Table))
                .mapToInt(e -> e.getKey().length()).max().orElse(0);
        boolean onlyTable = report.fields().size() == 1
                && report.fields().values().iterator().next() instanceof Report.Table;
        for (var e : report.fields().entrySet()) {
            if (e.getValue() instanceof Report.Table t) {
                if (!onlyTable) {
                    b.append('\n').append(e.getKey().replace('_', ' ')).append(":\n");
                }
                table(b, t);
            } else {
                String name = e.getKey().replace('_', ' ');
                b.append(name).append(':').append(" ".repeat(width - name.length() + 1))
                        .append(Report.scalar(e.getValue())).append('\n');
            }
        }
        return b.toString();
    }

    private static void table(StringBuilder b, Report.Table t) {
        List<String> titles = new ArrayList<>();
        t.columns().forEach(c -> titles.add(c.toUpperCase(Locale.ROOT)));
        int[] widths = new int[titles.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = titles.get(i).length();
            for (List<Object> row : t.rows()) {
                widths[i] = Math.max(widths[i], Report.scalar(row.get(i)).length());
            }
        }
        line(b, new ArrayList<>(titles), widths, null);
        for (List<Object> row : t.rows()) {
            line(b, row, widths, row);
        }
    }

    private static void line(StringBuilder b, List<?> cells, int[] widths, List<Object> values) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String s = Report.scalar(cells.get(i));
            boolean number = values != null && values.get(i) instanceof Number;
            String pad = " ".repeat(widths[i] - s.length());
            l.append(i == 0 ? "" : "  ").append(number ? pad + s : s + pad);
        }
        b.append(l.toString().stripTrailing()).append('\n');
    }
}
