package io.blockhaus.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PskFileTest {
    private static final Path FILE = Path.of("/etc/keys.psk");
    private static final String KEY32 = "2d0c5f3a1b4e6d7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";

    @TempDir
    Path tmp;

    @Test
    void readsIdentitiesAndKeysInOrderSkippingBlankLines() {
        PskFile f = PskFile.parse(FILE, "alice:" + KEY32 + "\n\nbob:00112233445566778899aabbccddeeff\r\n");
        assertThat(f.entries()).extracting(PskFile.Entry::identity).containsExactly("alice", "bob");
        assertThat(f.keyOf("bob")).hasValueSatisfying(k -> assertThat(k).hasSize(16).startsWith(0x00, 0x11));
        assertThat(f.keyOf("carol")).isEmpty();
        assertThat(f.entries().getFirst().toString()).doesNotContain(KEY32.substring(0, 8));
    }

    @Test
    void everyMalformedLineIsOneMessageNamingFileAndLine() {
        assertBad("alice" + KEY32, "/etc/keys.psk line 1: expected identity:hexkey, found no ':'");
        assertBad("alice:" + KEY32 + "\n:" + KEY32, "line 2: empty identity before ':'");
        assertBad("al ice:" + KEY32, "line 1: identity 'al ice' has a space");
        assertBad("alice:", "line 1: no key after 'alice:'");
        assertBad("alice:" + KEY32 + "0", "line 1: key of identity 'alice' has an odd number of hex digits");
        assertBad("alice:" + KEY32.replace('d', 'x'), "line 1: key of identity 'alice' is not hexadecimal");
        assertBad("alice:0011", "line 1: key of identity 'alice' is 2 bytes; at least 16 are needed");
        assertBad("alice:" + KEY32 + "\nbob:" + KEY32 + "\nalice:" + KEY32,
                "line 3: identity 'alice' given again (first on line 1)");
        assertBad("\n\n", "--tls-psk /etc/keys.psk: no identity:hexkey line in the file");
        assertBad("x".repeat(256) + ":" + KEY32, "line 1: identity longer than 255 characters");
    }

    @Test
    void readsWhatPsktoolWrites() throws Exception {
        Path psktool = Path.of("/usr/bin/psktool");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(psktool),
                "psktool not installed (Debian package gnutls-bin)");
        Path file = tmp.resolve("keys.psk");
        TestPki.run(psktool.toString(), "-u", "alice", "-p", file.toString());
        TestPki.run(psktool.toString(), "-u", "bob", "-p", file.toString());
        PskFile f = PskFile.load(file);
        assertThat(f.entries()).extracting(PskFile.Entry::identity).containsExactly("alice", "bob");
        assertThat(f.keyOf("alice")).hasValueSatisfying(k -> assertThat(k).hasSize(32));
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> PskFile.load(tmp.resolve("nope.psk"))).isInstanceOf(TlsConfigException.class)
                .hasMessage("--tls-psk " + tmp.resolve("nope.psk") + ": no such file");
    }

    private static void assertBad(String text, String message) {
        assertThatThrownBy(() -> PskFile.parse(FILE, text)).isInstanceOf(TlsConfigException.class)
                .hasMessageContaining(message).hasMessageStartingWith("--tls-psk /etc/keys.psk");
    }
}
