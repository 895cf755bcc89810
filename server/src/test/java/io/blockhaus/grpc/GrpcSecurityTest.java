package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.tls.PeerIdentity;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who may run admin RPCs, and who counts as local, without a network. */
class GrpcSecurityTest {

    private static final PeerIdentity ROOT = new PeerIdentity.Certificate("CN=root", Optional.of("root"), List.of());
    private static final PeerIdentity OPS = new PeerIdentity.Certificate("CN=x", Optional.of("x"), List.of("ops.example"));

    @Test
    void withoutAdminOnlyCallersOnThisHostMayAdminister() {
        GrpcSecurity none = GrpcSecurity.NONE;
        assertThat(none.mayAdminister(Caller.of(null, new InetSocketAddress("127.0.0.1", 5000)))).isTrue();
        assertThat(none.mayAdminister(Caller.of(null, new InetSocketAddress("::1", 5000)))).isTrue();
        assertThat(none.mayAdminister(Caller.of(null, new InetSocketAddress("192.0.2.7", 5000)))).isFalse();
        assertThat(none.mayAdminister(Caller.of(null, null))).as("in-process").isTrue();
    }

    @Test
    void withAdminOnlyTheNamedIdentitiesFromAnywhere() {
        GrpcSecurity s = new GrpcSecurity(Optional.empty(), (p, e) -> true, Set.of("root", "ops.example"));
        assertThat(s.mayAdminister(new Caller(ROOT, false))).isTrue();
        assertThat(s.mayAdminister(new Caller(OPS, false))).as("a SAN names it too").isTrue();
        assertThat(s.mayAdminister(new Caller(PeerIdentity.ANONYMOUS, true)))
                .as("a local caller without a certificate is not an admin once --admin is given").isFalse();
    }
}
