package io.blockhaus.s3.ownership;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestJsonTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripsEveryFieldIncludingAnOwnerThatNeedsEscaping() {
        Manifest m = new Manifest(1, 12345678901L, 7, "host \"a\"\\b\n\u0001é", Manifest.State.RELEASED, 60_000,
                1234, 1L << 40, 1 << 22, 4096);
        assertThat(ManifestJson.read(ManifestJson.write(m))).isEqualTo(m);
    }

    @Test
    void ignoresUnknownFlatFieldsAndWhiteSpaceButRefusesNestedValues() {
        String json = " { \"format\" : 1, \"future\": {\"x\":1} }";
        assertThatThrownBy(() -> ManifestJson.read(utf8(json))).hasMessageContaining("unexpected value");
        String flat = "{ \"format\":1, \"version\":3, \"epoch\":2, \"owner\":\"b\", \"state\":\"OWNED\", \"future\":true,"
                + " \"leaseMillis\":30000, \"quietMillis\":0, \"size\":0, \"objectSize\":4096, \"pageSize\":4096, \"n\":null }";
        Manifest m = ManifestJson.read(utf8(flat));
        assertThat(m.version()).isEqualTo(3);
        assertThat(m.owner()).isEqualTo("b");
    }

    @Test
    void refusesANewerFormatAMissingFieldAndMalformedText() {
        assertThatThrownBy(() -> ManifestJson.read(utf8("{\"format\":2}"))).hasMessageContaining("format 2");
        assertThatThrownBy(() -> ManifestJson.read(utf8("{\"format\":1,\"version\":1}")))
                .hasMessageContaining("epoch");
        assertThatThrownBy(() -> ManifestJson.read(utf8("{\"format\":1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ManifestJson.read(utf8("{\"format\":1} x"))).hasMessageContaining("trailing");
        assertThatThrownBy(() -> ManifestJson.read(utf8("{\"owner\":\"a\\q\"}"))).hasMessageContaining("bad escape");
    }
}
