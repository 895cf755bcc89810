package io.blockhaus.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Sizes and offsets as operators type them: {@code 4096}, {@code 4K}, {@code 64M}, {@code 2G}
 * (binary units, K to T, an optional B or iB). A bad one is a usage error (exit 2).
 */
public final class Sizes implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(I?B)?", Pattern.CASE_INSENSITIVE);

    @Override
    public Long convert(String text) {
        return parse(text);
    }

    static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a size (a whole number of bytes, or with K, M, G, T: 4K, 64M)");
        }
        int shift = 10 * "KMGT".indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 10;
        if (m.group(2).isEmpty()) {
            shift = 0;
        }
        try {
            long n = Long.parseLong(m.group(1));
            if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large");
        }
    }
}
