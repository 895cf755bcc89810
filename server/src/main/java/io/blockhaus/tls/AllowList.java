package io.blockhaus.tls;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The identities that may open one export: the value of its {@code allow=} key, names separated by
 * {@code ;}. A name matches a peer's certificate subject CN, any of its subjectAltNames (DNS, IP,
 * e-mail, URI), or its PSK identity, exactly (case-sensitive, no wildcards): a list an operator
 * writes should mean exactly what it says.
 *
 * <p>{@link #ANYONE} (no {@code allow=} key) admits every client, anonymous ones included, as
 * before access control existed. A non-empty list never admits an anonymous client.
 *
 * @param identities the names; empty for {@link #ANYONE}
 */
public record AllowList(Set<String> identities) {

    /** No restriction. */
    public static final AllowList ANYONE = new AllowList(Set.of());

    /** Longest name accepted: a DNS name's 253, with room for a URI SAN. */
    public static final int MAX_NAME_LENGTH = 1024;

    public AllowList {
        identities = Set.copyOf(new LinkedHashSet<>(identities));
    }

    /**
     * Parses {@code alice;bob.example.com;10.0.0.7}. Each name is non-empty, without control
     * characters, {@code ,} (it ends an export key) or {@code ;}.
     */
    public static AllowList parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("allow= needs at least one identity");
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : text.split(";", -1)) {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("allow=: empty identity (two ';' in a row, or one at either end)");
            }
            if (name.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException("allow=: identity longer than " + MAX_NAME_LENGTH + " characters");
            }
            if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == ',')) {
                throw new IllegalArgumentException("allow=: identity '" + name + "' contains a control character or ','");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("allow=: identity '" + name + "' given twice");
            }
        }
        return new AllowList(names);
    }

    public boolean restricted() {
        return !identities.isEmpty();
    }

    /** Whether {@code peer} may open the export. */
    public boolean admits(PeerIdentity peer) {
        if (!restricted()) {
            return true;
        }
        for (String name : peer.names()) {
            if (identities.contains(name)) {
                return true;
            }
        }
        return false;
    }

    /** The form {@link #parse} reads (insertion order is not kept: sorted, so it is stable). */
    @Override
    public String toString() {
        return String.join(";", identities.stream().sorted().toList());
    }
}
