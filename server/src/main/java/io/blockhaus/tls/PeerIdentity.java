package io.blockhaus.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a client is, as far as the server can tell once its handshake is done. An allow list
 * ({@link AllowList}) matches against {@link #names()}.
 *
 * <p>Only what a verified handshake proved counts: a certificate subject only when the
 * certificate chained to {@code --tls-ca} (the TLS layer refuses the handshake otherwise), a PSK
 * identity only when the client proved it holds that identity's key. A client in the clear, or
 * over TLS without a certificate, is {@link Anonymous}, and an anonymous client never passes a
 * non-empty allow list.
 */
public sealed interface PeerIdentity permits PeerIdentity.Anonymous, PeerIdentity.Certificate, PeerIdentity.Psk {

    /** The no-one identity. */
    PeerIdentity ANONYMOUS = new Anonymous();

    /** The names an allow list may give for this peer; empty for an anonymous one. */
    Set<String> names();

    /** For logs: what kind of identity, and its main name. */
    String describe();

    /** A client that proved nothing: in the clear, or TLS without a client certificate. */
    record Anonymous() implements PeerIdentity {
        @Override
        public Set<String> names() {
            return Set.of();
        }

        @Override
        public String describe() {
            return "anonymous";
        }
    }

    /**
     * A client certificate that chained to the configured CA.
     *
     * @param subject         the subject's distinguished name (RFC 2253), for logs
     * @param commonName      the subject's CN, when it has one
     * @param subjectAltNames DNS names, IP addresses, e-mail addresses and URIs from the
     *                        certificate's subjectAltName extension, in its order
     */
    record Certificate(String subject, Optional<String> commonName, List<String> subjectAltNames)
            implements PeerIdentity {
        public Certificate {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(commonName, "commonName");
            subjectAltNames = List.copyOf(subjectAltNames);
        }

        /** The identity a verified client certificate carries. */
        public static Certificate of(X509Certificate cert) {
            String dn = cert.getSubjectX500Principal().getName();
            return new Certificate(dn, commonNameOf(dn), altNamesOf(cert));
        }

        @Override
        public Set<String> names() {
            Set<String> names = new LinkedHashSet<>();
            commonName.ifPresent(names::add);
            names.addAll(subjectAltNames);
            return names;
        }

        @Override
        public String describe() {
            return "certificate " + commonName.map(cn -> "CN=" + cn).orElse(subject);
        }

        private static Optional<String> commonNameOf(String dn) {
            try {
                // The most specific CN: the last in the RDN sequence as LdapName lists it (LdapName
                // stores RDNs right to left, so the first CN found from the end is the leaf's).
                List<Rdn> rdns = new LdapName(dn).getRdns();
                for (int i = rdns.size() - 1; i >= 0; i--) {
                    if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                        return Optional.of(rdns.get(i).getValue().toString());
                    }
                }
                return Optional.empty();
            } catch (InvalidNameException e) {
                return Optional.empty(); // the JDK produced it, so it parses; no CN if it did not
            }
        }

        /** SAN types 1 (rfc822Name), 2 (dNSName), 6 (URI) and 7 (iPAddress): those the JDK gives as strings. */
        private static List<String> altNamesOf(X509Certificate cert) {
            List<String> names = new ArrayList<>();
            try {
                Collection<List<?>> sans = cert.getSubjectAlternativeNames();
                if (sans == null) {
                    return names;
                }
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if ((type == 1 || type == 2 || type == 6 || type == 7) && san.get(1) instanceof String s) {
                        names.add(s);
                    }
                }
            } catch (CertificateParsingException e) {
                // A malformed extension gives no names; the subject CN still identifies the peer.
            }
            return names;
        }
    }

    /**
     * A client that proved it holds the key of this identity in the {@code --tls-psk} file.
     *
     * @param identity the PSK identity the client sent
     */
    record Psk(String identity) implements PeerIdentity {
        public Psk {
            Objects.requireNonNull(identity, "identity");
        }

        @Override
        public Set<String> names() {
            return Set.of(identity);
        }

        @Override
        public String describe() {
            return "PSK identity " + identity;
        }
    }
}
