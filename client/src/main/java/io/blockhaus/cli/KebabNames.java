package io.blockhaus.cli;

import io.blockhaus.client.Types;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Enum arguments as operators type them, in the kernel's words: {@code punch-hole},
 * {@code zero-range}, {@code willneed}, {@code two-state}. Each converter also lists its names
 * for the usage and for bash completion.
 */
final class KebabNames {
    private KebabNames() {
    }

    /** The lock policies a volume can have. */
    enum LockPolicy { TWO_STATE, RANGE }

    static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a kebab-case name into one of {@code type}'s constants; lists them when it is none. */
    abstract static class Converter<E extends Enum<E>> implements CommandLine.ITypeConverter<E>, Iterable<String> {
        private final Class<E> type;

        Converter(Class<E> type) {
            this.type = type;
        }

        @Override
        public E convert(String text) {
            for (E e : type.getEnumConstants()) {
                if (name(e).equalsIgnoreCase(text.strip())) {
                    return e;
                }
            }
            throw new CommandLine.TypeConversionException("'" + text + "' is not one of " + String.join(", ", this));
        }

        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(type.getEnumConstants()).map(KebabNames::name).iterator();
        }
    }

    static final class FallocateModes extends Converter<Types.FallocateMode> {
        FallocateModes() {
            super(Types.FallocateMode.class);
        }
    }

    static final class Advices extends Converter<Types.Advice> {
        Advices() {
            super(Types.Advice.class);
        }
    }

    static final class LockPolicies extends Converter<LockPolicy> {
        LockPolicies() {
            super(LockPolicy.class);
        }
    }
}
