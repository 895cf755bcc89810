package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.nbd.NbdTestClient.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection limits of issue 15, each refusing or dropping the client that passes it and no
 * other, and each counted: the total cap and the per-source cap (closed at accept, before the
 * greeting), the idle timeout in transmission, and the largest request.
 */
class NbdClientLimitsTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);
    private static final InetAddress SOURCE_A = loopback(1);
    private static final InetAddress SOURCE_B = loopback(2);

    private Engine engine;
    private NbdServer server;
    private final List<Socket> sockets = new ArrayList<>();

    private NbdServer start(int maxConnections, NbdConnectionLimits limits) throws InterruptedException {
        engine = new Engine(EngineConfig.withCache(8 << 20).withBackgroundThreads(false));
        Volume v = engine.open(VolumeConfig.of("default"), new MemoryStore(4 << 20));
        server = NbdServer.start(NbdTestServer.config(maxConnections, Duration.ofSeconds(30), 16), limits,
                NbdExports.of(List.of(v)), NbdSecurity.NONE, NbdEvents.NONE);
        return server;
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void perSourceCapRefusesTheNextFromThatAddressOnlyBeforeAnyByte() throws Exception {
        start(64, new NbdConnectionLimits(2, Duration.ZERO));
        Socket a1 = connectFrom(SOURCE_B);
        Socket a2 = connectFrom(SOURCE_B);
        assertThat(greeting(a1)).isEqualTo(18);
        assertThat(greeting(a2)).isEqualTo(18);
        Socket a3 = connectFrom(SOURCE_B);
        assertThat(greeting(a3)).as("the third from one address reads EOF, no greeting").isEqualTo(-1);
        assertThat(server.refusals().count(RefusalReason.CONNECTIONS_PER_SOURCE)).isEqualTo(1);
        // Another address is not affected, and is served.
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.SIMPLE)) {
            assertThat(c.read(0, 512).ok()).isTrue();
        }
        // The first two still are connected; one leaves, and its address may connect again.
        a1.close();
        Await.until("the slot of a1 freed", WITHIN, () -> server.connections() == 1);
        assertThat(greeting(connectFrom(SOURCE_B))).isEqualTo(18);
        assertThat(server.refusals().count(RefusalReason.CONNECTIONS)).isZero();
    }

    @Test
    void totalCapRefusesTheNextOneAndCountsIt() throws Exception {
        start(2, new NbdConnectionLimits(2, Duration.ZERO));
        assertThat(greeting(connectFrom(SOURCE_A))).isEqualTo(18);
        assertThat(greeting(connectFrom(SOURCE_B))).isEqualTo(18);
        assertThat(greeting(connectFrom(SOURCE_B))).isEqualTo(-1);
        assertThat(server.refusals().count(RefusalReason.CONNECTIONS)).isEqualTo(1);
        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void idleTimeoutClosesAQuietClientButNotABusyOne() throws Exception {
        Duration idle = Duration.ofSeconds(1);
        start(64, new NbdConnectionLimits(64, idle));
        try (NbdTestClient quiet = NbdTestClient.open(server.address().getPort(), Mode.STRUCTURED);
                NbdTestClient busy = NbdTestClient.open(server.address().getPort(), Mode.STRUCTURED)) {
            assertThat(quiet.read(0, 512).ok()).isTrue();
            long start = System.nanoTime();
            // The busy one keeps asking for three idle timeouts; the quiet one asks nothing.
            int reads = 0;
            while (System.nanoTime() - start < 3 * idle.toNanos()) {
                assertThat(busy.read(0, 4096).ok()).isTrue();
                reads++;
            }
            assertThat(reads).isPositive();
            assertThat(quiet.awaitClosed(WITHIN)).as("the quiet client is closed").isTrue();
            assertThat(busy.read(0, 512).ok()).as("the busy one still served").isTrue();
            assertThat(server.refusals().count(RefusalReason.IDLE_TIMEOUT)).isEqualTo(1);
            assertThat(server.disconnects().count(DisconnectReason.IDLE_TIMEOUT)).as("and as a disconnect").isEqualTo(1);
        }
    }

    @Test
    void aClientInTheHandshakeIsLeftToTheHandshakeDeadlineNotTheIdleTimeout() throws Exception {
        start(64, new NbdConnectionLimits(64, Duration.ofMillis(300)));
        try (NbdTestClient c = NbdTestClient.connect(server.address().getPort())) {
            // Longer than the idle timeout, shorter than the handshake deadline (30 s here).
            assertThat(c.awaitClosed(Duration.ofSeconds(2))).isFalse();
            assertThat(server.refusals().count(RefusalReason.IDLE_TIMEOUT)).isZero();
        }
    }

    @Test
    void aReadOverTheLargestRequestIsRefusedCountedAndTheConnectionGoesOn() throws Exception {
        start(64, new NbdConnectionLimits(64, Duration.ZERO));
        try (NbdTestClient c = NbdTestClient.open(server.address().getPort(), Mode.SIMPLE)) {
            int tooLarge = server.config().maxPayload() + 1;
            assertThat(c.read(0, tooLarge).ok()).isFalse();
            assertThat(c.read(0, 512).ok()).isTrue();
        }
        assertThat(server.refusals().count(RefusalReason.REQUEST_TOO_LARGE)).isEqualTo(1);
    }

    private Socket connectFrom(InetAddress source) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.setSoTimeout((int) WITHIN.toMillis());
        s.bind(new InetSocketAddress(source, 0));
        s.connect(server.address());
        return s;
    }

    /** Bytes of the greeting read (18 for NBDMAGIC, IHAVEOPT and the flags), or -1 at EOF before any. */
    private static int greeting(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[18];
        int n = 0;
        while (n < buf.length) {
            int r;
            try {
                r = in.read(buf, n, buf.length - n);
            } catch (java.net.SocketException reset) {
                r = -1;
            }
            if (r < 0) {
                return n == 0 ? -1 : n;
            }
            n += r;
        }
        return n;
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
