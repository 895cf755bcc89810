package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Sizes and offsets with K/M/G, and the usage errors for ones that are not. */
class SizesTest {
    @Test
    void binaryUnitsCaseInsensitiveWithOptionalBOrIb() {
        assertThat(Sizes.parse("0")).isZero();
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("4K")).isEqualTo(4096);
        assertThat(Sizes.parse("4k")).isEqualTo(4096);
        assertThat(Sizes.parse("64M")).isEqualTo(64L << 20);
        assertThat(Sizes.parse("2GiB")).isEqualTo(2L << 30);
        assertThat(Sizes.parse("1TB")).isEqualTo(1L << 40);
        assertThat(Sizes.parse("512B")).isEqualTo(512);
    }

    @Test
    void anythingElseIsAConversionErrorQuotingTheInput() {
        for (String bad : new String[] {"", "-1", "1.5M", "12Q", "M", "4 K B", "99999999999999999999"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> Sizes.parse("9000000000000T")).hasMessageContaining("too large");
    }
}
