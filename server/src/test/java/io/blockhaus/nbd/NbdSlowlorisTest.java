package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdOption;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Slowloris (issue 15): {@value #TRICKLERS} connections each sending a valid handshake one byte a
 * second. A real client is meanwhile served promptly, and every trickler is dropped by the
 * handshake deadline (the whole handshake, not per byte), within deadline + margin of its connect.
 * The tricklers run on a Netty client event loop with a fixed-rate timer: no sleeps.
 */
class NbdSlowlorisTest {
    private static final int TRICKLERS = 300;
    private static final Duration DEADLINE = Duration.ofSeconds(2);
    /** The machine is shared and loaded: a close is counted on time within this after the deadline. */
    private static final Duration MARGIN = Duration.ofSeconds(4);
    private static final long SEED = System.nanoTime();

    /** One trickling connection: when it connected and when the server closed it (nanoTime; 0 while open). */
    private static final class Trickler {
        volatile long connectedAt;
        volatile long closedAt;
        volatile int sent;
        Channel channel;
    }

    @Test
    void tricklersDoNotStopARealClientAndAreDroppedByTheHandshakeDeadline() throws Exception {
        requireDescriptors(2 * TRICKLERS + 200);
        System.out.println("NbdSlowlorisTest seed " + SEED);
        // Room for every trickler (they come from one address, as the real client does).
        NbdServerConfig config = NbdTestServer.config(TRICKLERS + 50, DEADLINE, 128);
        byte[] handshake = tricklerHandshake();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Trickler> tricklers = new ArrayList<>();
        try (NbdTestServer server = NbdTestServer.memory(config, 16 << 20, VolumeConfig.of("default"))) {
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true);
            ConcurrentLinkedQueue<Trickler> open = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < TRICKLERS; i++) {
                Trickler t = new Trickler();
                t.channel = b.handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        t.connectedAt = System.nanoTime();
                        open.add(t);
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg); // the greeting; never answered in time
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        t.closedAt = System.nanoTime();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close(); // a reset by the server is a close too
                    }
                }).connect(server.server.address()).sync().channel();
                tricklers.add(t);
            }
            // One byte a second to every open trickler, on the client's event loop.
            var tick = group.next().scheduleAtFixedRate(() -> {
                for (Trickler t : open) {
                    if (t.channel.isActive() && t.sent < handshake.length) {
                        t.channel.writeAndFlush(Unpooled.wrappedBuffer(handshake, t.sent++, 1));
                    }
                }
            }, 0, 1, TimeUnit.SECONDS);
            try {
                // A real client, while all of them trickle: served, each request promptly.
                try (NbdTestClient c = NbdTestClient.open(server.port(), Mode.STRUCTURED)) {
                    c.timeout(Duration.ofSeconds(2));
                    Random rnd = new Random(SEED);
                    for (int i = 0; i < 32; i++) {
                        byte[] d = new byte[4096];
                        rnd.nextBytes(d);
                        c.writeOk(i * 4096L, d);
                        assertThat(c.readOk(i * 4096L, 4096)).isEqualTo(d);
                    }
                }
                Await.until("every trickler closed by the server", DEADLINE.plus(MARGIN).plusSeconds(10),
                        () -> tricklers.stream().allMatch(t -> t.closedAt != 0));
            } finally {
                tick.cancel(false);
            }
            for (Trickler t : tricklers) {
                long lived = t.closedAt - t.connectedAt;
                assertThat(Duration.ofNanos(lived)).as("a trickler's life (it sent %d bytes)", t.sent)
                        .isGreaterThanOrEqualTo(DEADLINE.minusMillis(100))
                        .isLessThanOrEqualTo(DEADLINE.plus(MARGIN));
                assertThat(t.sent).as("still in the handshake when dropped").isLessThan(handshake.length);
            }
            assertThat(server.server.refusals().count(RefusalReason.HANDSHAKE_TIMEOUT)).isEqualTo(TRICKLERS);
            Await.until("no connection left", Duration.ofSeconds(10), () -> server.server.connections() == 0);
            nbdinfoLists(server);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Client flags then NBD_OPT_GO for "default": a valid handshake, if only it arrived in time. */
    private static byte[] tricklerHandshake() {
        byte[] go = NbdTestClient.infoData("default");
        return ByteBuffer.allocate(4 + 16 + go.length)
                .putInt(NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES)
                .putLong(io.blockhaus.nbd.codec.NbdMagic.IHAVEOPT).putInt(NbdOption.GO.code()).putInt(go.length)
                .put(go).array();
    }

    /** libnbd, when installed, gets through afterwards too. */
    private static void nbdinfoLists(NbdTestServer server) throws IOException, InterruptedException {
        if (!onPath("nbdinfo")) {
            System.out.println("NbdSlowlorisTest: nbdinfo not installed (libnbd-bin); checked with the in-JVM client only");
            return;
        }
        Process p = new ProcessBuilder("nbdinfo", "--size", server.uri("default")).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("nbdinfo finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).isEqualTo(String.valueOf(16 << 20));
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips (with the reason) when this process may not open {@code needed} descriptors. */
    static void requireDescriptors(long needed) {
        long max = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u
                ? u.getMaxFileDescriptorCount() : Long.MAX_VALUE;
        Assumptions.assumeTrue(max >= needed, "needs " + needed + " file descriptors, ulimit -n is " + max
                + "; raise it (ulimit -n 4096) to run this test");
    }

}
