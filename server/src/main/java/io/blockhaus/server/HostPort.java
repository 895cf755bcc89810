package io.blockhaus.server;

import java.net.InetSocketAddress;

/**
 * A listen address: {@code HOST:PORT} or {@code [IPV6]:PORT}, e.g. {@code 127.0.0.1:10809},
 * {@code localhost:9464}, {@code 0.0.0.0:10809}, {@code [::1]:10810}. Port 0 asks the system for a
 * free port. The host is checked for its form only; it is resolved when the listener binds.
 *
 * @param host a host name, an IPv4 address, or an IPv6 address without brackets
 * @param port 0 to 65535
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0-65535");
        }
    }

    /** Parses {@code HOST:PORT} or {@code [IPV6]:PORT}. */
    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(text, "it is empty");
        }
        String s = text.strip();
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw bad(text, "'[' without a closing ']'");
            }
            host = s.substring(1, close);
            if (host.isEmpty() || host.indexOf(':') < 0 || !isIpv6Chars(host)) {
                throw bad(text, "'" + host + "' between the brackets is not an IPv6 address");
            }
            if (close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw bad(text, "expected ':PORT' after ']'");
            }
            portText = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw bad(text, "no port");
            }
            host = s.substring(0, colon);
            portText = s.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw bad(text, "an IPv6 address must be written in brackets, e.g. [::1]:10809");
            }
            if (host.isEmpty()) {
                throw bad(text, "no host (use 0.0.0.0:PORT or [::]:PORT to listen on every interface)");
            }
            if (!isHostNameChars(host)) {
                throw bad(text, "'" + host + "' is not a host name or IPv4 address");
            }
        }
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(text, "port '" + portText + "' is not a number from 0 to 65535");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw bad(text, "port " + port + " is above 65535");
        }
        return new HostPort(host, port);
    }

    /** The socket address a listener binds (the host name is resolved now). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** The form {@link #parse} reads: brackets around IPv6 addresses. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static boolean isHostNameChars(String host) {
        if (host.startsWith(".") || host.startsWith("-") || host.contains("..")) {
            return false;
        }
        return host.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '.' || c == '-');
    }

    private static boolean isIpv6Chars(String host) {
        int zone = host.indexOf('%');
        String addr = zone < 0 ? host : host.substring(0, zone);
        if (zone >= 0 && zone == host.length() - 1) {
            return false;
        }
        return addr.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                || (c >= 'A' && c <= 'F') || c == ':' || c == '.');
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("invalid address '" + text + "': " + why
                + " (expected HOST:PORT or [IPV6]:PORT, e.g. 127.0.0.1:10809 or [::1]:10809)");
    }
}
