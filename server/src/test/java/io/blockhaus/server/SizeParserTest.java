package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizeParserTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "1024, 1024",
        "512B, 512",
        "4K, 4096",
        "4k, 4096",
        "4KB, 4096",
        "4KiB, 4096",
        "4kib, 4096",
        "256M, 268435456",
        "1G, 1073741824",
        "1g, 1073741824",
        "1GiB, 1073741824",
        "2T, 2199023255552",
        "1P, 1125899906842624",
        "7E, 8070450532247928832",
        "' 64K ', 65536",
        "9223372036854775807, 9223372036854775807",
    })
    void parsesBytesAndBinaryUnits(String text, long expected) {
        assertThat(SizeParser.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-4K"})
    void rejectsNegatives(String text) {
        assertThatThrownBy(() -> SizeParser.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("negative");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775808", "99999999999999999999", "8E", "8388608T", "9007199254740992K"})
    void rejectsOverflow(String text) {
        assertThatThrownBy(() -> SizeParser.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "K", "1.5G", "4X", "4KX", "4 K", "4KiBB", "4iB", "0x10", "+4K", "1e3"})
    void rejectsGarbage(String text) {
        assertThatThrownBy(() -> SizeParser.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid size '" + text + "'")
                .hasMessageContaining("e.g. 4096, 4K, 256M, 1G");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void rejectsEmpty(String text) {
        assertThatThrownBy(() -> SizeParser.parse(text)).hasMessageContaining("empty");
    }

    @ParameterizedTest
    @CsvSource({"1073741824, 1G", "1610612736, 1536M", "4096, 4K", "1000, 1000", "0, 0", "1099511627776, 1T"})
    void formatsInTheLargestExactUnit(long bytes, String expected) {
        assertThat(SizeParser.format(bytes)).isEqualTo(expected);
        assertThat(SizeParser.parse(expected)).isEqualTo(bytes);
    }
}
