package io.blockhaus.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AllowListTest {
    private static final PeerIdentity ALICE_CERT = new PeerIdentity.Certificate("CN=alice,O=Example",
            Optional.of("alice"), List.of("alice.example.com", "10.0.0.7"));
    private static final PeerIdentity BOB_PSK = new PeerIdentity.Psk("bob");

    @Test
    void matchesCommonNameAltNamesAndPskIdentityExactly() {
        assertThat(AllowList.parse("alice").admits(ALICE_CERT)).isTrue();
        assertThat(AllowList.parse("carol;alice.example.com").admits(ALICE_CERT)).isTrue();
        assertThat(AllowList.parse("10.0.0.7").admits(ALICE_CERT)).isTrue();
        assertThat(AllowList.parse("bob").admits(BOB_PSK)).isTrue();
        assertThat(AllowList.parse("bob").admits(ALICE_CERT)).isFalse();
        assertThat(AllowList.parse("Alice").admits(ALICE_CERT)).as("case-sensitive").isFalse();
        assertThat(AllowList.parse("*.example.com").admits(ALICE_CERT)).as("no wildcards").isFalse();
    }

    @Test
    void anonymousPassesOnlyTheEmptyList() {
        assertThat(AllowList.ANYONE.admits(PeerIdentity.ANONYMOUS)).isTrue();
        assertThat(AllowList.ANYONE.admits(BOB_PSK)).isTrue();
        assertThat(AllowList.parse("alice").admits(PeerIdentity.ANONYMOUS)).isFalse();
    }

    @Test
    void malformedListsAreRefused() {
        assertThatThrownBy(() -> AllowList.parse("")).hasMessageContaining("at least one identity");
        assertThatThrownBy(() -> AllowList.parse("a;;b")).hasMessageContaining("empty identity");
        assertThatThrownBy(() -> AllowList.parse("a;a")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> AllowList.parse("a\u0000b")).hasMessageContaining("control character");
    }

    @Test
    void printsWhatItParses() {
        assertThat(AllowList.parse(AllowList.parse("b;a").toString())).isEqualTo(AllowList.parse("a;b"));
    }
}
