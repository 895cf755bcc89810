package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.Types;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.tls.PeerIdentity;
import io.grpc.Status;
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

    @Test
    void aVolumeTheCallerMayNotOpenIsUnlistedAndNotFoundAndAdminIsRefusedBothCounted() {
        GrpcSecurity s = new GrpcSecurity(Optional.empty(),
                (peer, id) -> !id.equals("secret") || peer.names().contains("alice"), Set.of("root"));
        try (GrpcFixture f = new GrpcFixture(s, 1 << 20, VolumeConfig.of("open"), VolumeConfig.of("secret"));
                BlockhausClient c = f.client(true)) {
            assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name).containsExactly("open");
            assertThatThrownBy(() -> c.open("secret")).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND));
            assertThatThrownBy(() -> c.open("secret")).hasMessage(
                    catchThrowable(() -> c.open("missing")).getMessage().replace("missing", "secret"));
            c.open("open").close();
            assertThat(f.server.accessRefusals()).isEqualTo(2);

            assertThatThrownBy(() -> c.resizeVolume("open", 2 << 20)).isInstanceOfSatisfying(BlockhausException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
            assertThat(f.server.adminRefusals()).isEqualTo(1);
        }
    }
}
