package io.blockhaus.server;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for the server's option values; each turns a parse error into a usage error. */
final class OptionConverters {

    private OptionConverters() {
    }

    /** picocli converter for {@link SizeParser}. */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return SizeParser.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** picocli converter for durations: a whole number with {@code ms}, {@code s} or {@code m}. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m)").matcher(value.trim());
            if (!m.matches()) {
                throw new TypeConversionException("invalid duration '" + value + "' (e.g. 500ms, 5s, 2m)");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }

        static String format(Duration d) {
            return d.toMillis() + "ms";
        }
    }

    /** picocli converter for {@link HostPort}. */
    static final class HostPortConverter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** picocli converter for {@link ExportSpec}. */
    static final class ExportSpecConverter implements ITypeConverter<ExportSpec> {
        @Override
        public ExportSpec convert(String value) {
            try {
                return ExportSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
