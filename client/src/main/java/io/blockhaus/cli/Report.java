package io.blockhaus.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a command prints, built once and rendered twice ({@link FormatMixin}): as aligned text for
 * people and as JSON for scripts. Both renderings print the same values the same way (a number
 * is rounded when it is put here, not when it is printed), so a script's figure is the table's.
 *
 * <p>A report is an ordered list of fields; a field's value is a string, a number, a boolean, or
 * a {@link Table}. Keys are snake_case: JSON uses them as they are, text as "key name: value" and
 * upper-case column titles.
 */
public final class Report {
    /** Rows of cells under named columns; in JSON, an array of objects keyed by the column names. */
    public record Table(List<String> columns, List<List<Object>> rows) {
        public Table {
            columns = List.copyOf(columns);
            rows = new ArrayList<>(rows);
        }

        public Table(String... columns) {
            this(List.of(columns), List.of());
        }

        public Table row(Object... cells) {
            if (cells.length != columns.size()) {
                throw new IllegalArgumentException(cells.length + " cells for " + columns.size() + " columns");
            }
            rows.add(List.of(cells));
            return this;
        }
    }

    private final Map<String, Object> fields = new LinkedHashMap<>();

    public Report put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    public Map<String, Object> fields() {
        return fields;
    }

    /** {@code value} rounded to one decimal place: the precision both renderings show. */
    public static BigDecimal oneDecimal(double value) {
        return BigDecimal.valueOf(value).setScale(1, RoundingMode.HALF_UP);
    }

    /** How a scalar prints in both renderings (JSON adds quotes around strings). */
    static String scalar(Object value) {
        return value instanceof BigDecimal d ? d.toPlainString() : String.valueOf(value);
    }
}
