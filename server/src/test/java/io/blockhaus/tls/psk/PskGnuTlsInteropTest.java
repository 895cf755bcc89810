package io.blockhaus.tls.psk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.tls.HandshakePool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * GnuTLS's {@code gnutls-cli} (the library libnbd and qemu use) against {@link PskTlsHandler}
 * over a real socket: what it negotiates with a PSK when TLS 1.3 is allowed and when only 1.2 is,
 * and that a wrong key is refused. Its debug output (-d 4) shows the PSK mode and key share. The server greets the proven identity, and echoes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PskGnuTlsInteropTest {

    private static final String KEY_HEX = "5c1ea3b7e0a9f4d2c86b1e7f30a4d95b26e8c1f0a7b3d5e9c2f4a6b8d0e1f3a5";
    private static final PskKeyring KEYS = id -> Optional.ofNullable(
            Map.of("alice", HexFormat.of().parseHex(KEY_HEX)).get(id)).map(byte[]::clone);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final LinkedBlockingQueue<Future<String>> handshakes = new LinkedBlockingQueue<>();
    private Channel listener;
    private int port;

    @BeforeAll
    void start() throws InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gnutls-cli")),
                "gnutls-cli not found: install the Debian package gnutls-bin; test skipped");
        PskServerContext context = PskServerContext.of(KEYS);
        Executor handshakeSteps = HandshakePool.create();   // the server's way: steps off the loop
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        PskTlsHandler tls = context.newHandler(handshakeSteps);
                        ch.pipeline().addLast(tls, new GreetAndEcho(tls));
                        handshakes.add(tls.handshakeFuture());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        port = ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @AfterAll
    void stop() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class GreetAndEcho extends ChannelInboundHandlerAdapter {
        private final PskTlsHandler tls;

        GreetAndEcho(PskTlsHandler tls) {
            this.tls = tls;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == SslHandshakeCompletionEvent.SUCCESS) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("hello " + tls.identity() + "\n", StandardCharsets.UTF_8));
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush((ByteBuf) msg);
        }
    }

    /** gnutls-cli's output and exit status. */
    private record Run(int exit, String output) { }

    /**
     * Runs gnutls-cli; once its output shows {@code waitFor}, sends {@code send} and reads until
     * that comes back, then closes its input (it says bye and exits). Bounded by 30 s.
     */
    private Run gnutlsCli(String priority, String key, String waitFor, String send) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gnutls-cli", "--port", Integer.toString(port), "127.0.0.1",
                "--pskusername", "alice", "--pskkey", key, "--priority", priority, "-d", "4"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            StringBuffer all = new StringBuffer();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    boolean sent = false;
                    for (String line; (line = r.readLine()) != null; ) {
                        all.append(line).append('\n');
                        if (!sent && line.contains(waitFor)) {
                            sent = true;
                            send(p, send + "\n", false);
                        } else if (sent && line.equals(send)) {
                            send(p, "", true);
                        }
                    }
                } catch (IOException e) {
                    all.append("(reading gnutls-cli's output failed: ").append(e).append(")\n");
                }
            });
            boolean exited = p.waitFor(30, TimeUnit.SECONDS);
            assertThat(exited).as("gnutls-cli did not exit in 30 s:\n%s", all).isTrue();
            assertThat(reader.join(Duration.ofSeconds(10))).as("its output ends once it has exited").isTrue();
            return new Run(p.exitValue(), all.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    /** Writes to gnutls-cli's input, and closes it if asked; a process that has gone is ignored. */
    private static void send(Process p, String text, boolean close) {
        try {
            p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            if (close) {
                p.getOutputStream().close();
            }
        } catch (IOException e) {
            // It has exited: its exit status and output tell the test what happened.
        }
    }

    @BeforeEach
    void forgetEarlierHandshakes() {
        handshakes.clear();
    }

    @Test
    void gnutlsNegotiatesTls13WithAnExternalPskAndAnEphemeralKeyExchange() throws Exception {
        Run run = gnutlsCli("NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK", KEY_HEX, "hello alice", "ping 1.3");
        assertThat(run.output()).as(run.output())
                .contains("(TLS1.3-").contains("PSK authentication. Connected as 'alice'")
                .as("psk_dhe_ke: the PSK plus an ephemeral key share").contains("selected PSK mode").contains("Selected group")
                .contains("hello alice").contains("\nping 1.3\n");
        assertThat(handshakes.poll(5, TimeUnit.SECONDS).get()).isEqualTo("alice");
    }

    @Test
    void gnutlsLimitedToTls12CompletesADhePskHandshake() throws Exception {
        // GnuTLS has no ECDHE-PSK suite with AES-GCM, so it gets DHE-PSK. gnutls-cli 3.7.9 then
        // crashes (SIGSEGV) after the handshake, printing the session's description: its own
        // exit status says nothing of ours, so the server's completed handshake is what counts.
        gnutlsCli("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-PSK", KEY_HEX, "hello alice", "ping 1.2");
        Future<String> handshake = handshakes.poll(5, TimeUnit.SECONDS);
        assertThat(handshake.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(handshake.get()).isEqualTo("alice");
    }

    @Test
    void gnutlsWithAWrongKeyIsRefused() throws Exception {
        String wrong = "00" + KEY_HEX.substring(2);
        Run run = gnutlsCli("NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK", wrong, "hello alice", "never");
        assertThat(run.exit()).as(run.output()).isNotZero();
        assertThat(run.output()).doesNotContain("hello alice");
        Future<String> handshake = handshakes.poll(5, TimeUnit.SECONDS);
        assertThat(handshake.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(handshake.isSuccess()).isFalse();
    }
}
