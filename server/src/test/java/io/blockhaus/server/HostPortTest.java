package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1:10809, 127.0.0.1, 10809",
        "localhost:9464, localhost, 9464",
        "0.0.0.0:0, 0.0.0.0, 0",
        "my-host.example.org:65535, my-host.example.org, 65535",
        "[::1]:10810, ::1, 10810",
        "[::]:10809, ::, 10809",
        "[fe80::1%eth0]:1, fe80::1%eth0, 1",
        "[::ffff:192.0.2.1]:80, ::ffff:192.0.2.1, 80",
    })
    void parses(String text, String host, int port) {
        HostPort hp = HostPort.parse(text);
        assertThat(hp.host()).isEqualTo(host);
        assertThat(hp.port()).isEqualTo(port);
        assertThat(hp.toString()).isEqualTo(text);
        assertThat(HostPort.parse(hp.toString())).isEqualTo(hp);
    }

    @Test
    void socketAddressIsUnresolved() {
        var addr = HostPort.parse("localhost:10809").toSocketAddress();
        assertThat(addr.isUnresolved()).isFalse();
        assertThat(addr.getHostString()).isEqualTo("localhost");
        assertThat(addr.getPort()).isEqualTo(10809);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "127.0.0.1          | no port",
        "::1:80             | IPv6 address must be written in brackets",
        "[::1]              | expected ':PORT' after ']'",
        "[::1]80            | expected ':PORT' after ']'",
        "[::1               | without a closing ']'",
        "[]:80              | not an IPv6 address",
        "[abc-def]:80       | not an IPv6 address",
        ":80                | no host",
        "host:              | is not a number",
        "host:65536         | above 65535",
        "host:-1            | is not a number",
        "host:abc           | is not a number",
        "host:123456        | is not a number",
        "ho st:80           | not a host name",
        "host_name:80       | not a host name",
        "-host:80           | not a host name",
    })
    void rejectsWithAClearMessage(String text, String why) {
        assertThatThrownBy(() -> HostPort.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid address '" + text + "'")
                .hasMessageContaining(why)
                .hasMessageContaining("HOST:PORT or [IPV6]:PORT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void rejectsEmpty(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).hasMessageContaining("empty");
    }

    @Test
    void constructorChecksPort() {
        assertThatThrownBy(() -> new HostPort("h", 70000)).hasMessageContaining("outside 0-65535");
        assertThatThrownBy(() -> new HostPort("", 1)).hasMessageContaining("host");
    }
}
