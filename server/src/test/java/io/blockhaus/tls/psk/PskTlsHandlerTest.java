package io.blockhaus.tls.psk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PskTlsHandler} in an {@link EmbeddedChannel} against Bouncy Castle's own client, every
 * byte moved by hand: ciphertext split at random points (the seed is printed; replay with
 * {@code -Dpsk.seed=N}), both TLS versions, wrong keys, closes from either side, tampering.
 */
class PskTlsHandlerTest {

    /**
     * The handshake steps a handler under test gave its executor, not run yet: run by
     * {@link #pump} (and by hand in the offloading tests). Empty when {@link #offloads()} is false.
     */
    final List<Runnable> steps = new ArrayList<>();

    /** Whether the handlers under test run their handshake steps on an executor ({@link #steps}). */
    boolean offloads() {
        return false;
    }

    final PskTlsHandler newHandler(long handshakeTimeoutMillis) {
        return PskServerContext.of(KEYS).newHandler(handshakeTimeoutMillis, offloads() ? steps::add : null);
    }

    static final byte[] ALICE_KEY = HexFormat.of().parseHex("8a7759b3f26983c453e448060bde8981");
    static final PskKeyring KEYS = id -> Optional.ofNullable(Map.of(
            "alice", ALICE_KEY,
            "bob", HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")).get(id))
            .map(byte[]::clone);

    private final long seed = Long.getLong("psk.seed", System.nanoTime());
    private final Random random = new Random(seed);

    {
        System.out.println("PskTlsHandlerTest seed " + seed + " (replay with -Dpsk.seed=" + seed + ")");
    }

    /** Plaintext, user events and exceptions that reach the layer above the handler. */
    static final class Above extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final List<Object> events = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            data.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    final PskTlsHandler handler = newHandler(PskTlsHandler.HANDSHAKE_TIMEOUT_MILLIS);
    final Above above = new Above();
    final EmbeddedChannel channel = new EmbeddedChannel(handler, above);

    /**
     * Moves bytes both ways until neither side has any. Client bytes reach the server in slices
     * of 1..maxSlice bytes (0: whole), in heap or direct buffers at random. Returns the alert the
     * client received, if any.
     */
    IOException pump(BcPskClient client, int maxSlice) {
        for (int round = 0; round < 1000; round++) {
            boolean moved = runSteps();
            byte[] out = client.takeOutput();
            if (!channel.isOpen()) {
                out = new byte[0];   // the server's socket is gone: what the client sends is lost
            }
            for (int off = 0; off < out.length; ) {
                int n = maxSlice == 0 ? out.length - off : Math.min(out.length - off, 1 + random.nextInt(maxSlice));
                ByteBuf slice = random.nextBoolean() ? Unpooled.directBuffer(n) : Unpooled.buffer(n);
                slice.writeBytes(out, off, n);
                channel.writeInbound(slice);
                off += n;
                moved = true;
            }
            for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
                byte[] bytes = ByteBufUtil.getBytes(b);
                b.release();
                moved = true;
                try {
                    client.offer(bytes);
                } catch (IOException e) {
                    return e;
                }
            }
            if (!moved) {
                return null;
            }
        }
        return fail("the two sides did not settle");
    }

    /** Runs the handshake steps given to the executor, and what they handed back to the loop. */
    boolean runSteps() {
        return runSteps(channel);
    }

    /** The same for another channel of the test. */
    boolean runSteps(EmbeddedChannel ch) {
        boolean ran = false;
        while (!steps.isEmpty()) {
            steps.removeFirst().run();
            ch.runPendingTasks();
            ran = true;
        }
        return ran;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void tls13HandshakeAndDataSurviveAnySplitOfTheCiphertext() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        assertThat(pump(client, 1 + random.nextInt(40))).isNull();

        assertThat(client.handshakeComplete()).isTrue();
        assertThat(client.negotiated()).isEqualTo(ProtocolVersion.TLSv13);
        assertThat(handler.handshakeFuture().getNow()).isEqualTo("alice");
        assertThat(handler.identity()).isEqualTo("alice");
        assertThat(above.events).containsExactly(SslHandshakeCompletionEvent.SUCCESS);

        byte[] up = randomBytes(100_000 + random.nextInt(1000));
        client.write(up);
        assertThat(pump(client, 1 + random.nextInt(3000))).isNull();
        assertThat(above.data.toByteArray()).isEqualTo(up);

        byte[] down = randomBytes(300_000 + random.nextInt(1000));
        channel.writeAndFlush(Unpooled.wrappedBuffer(down));
        assertThat(channel.outboundMessages().size())
                .as("one large write leaves in batches, not as one copy of its size")
                .isGreaterThanOrEqualTo(down.length / PskTlsHandler.OUTPUT_BATCH);
        assertThat(pump(client, 0)).isNull();
        assertThat(client.received()).isEqualTo(down);
        assertThat(above.errors).isEmpty();
    }

    @Test
    void tls12EcdhePskSuiteWorksForClientsWithoutTls13() throws IOException {
        BcPskClient client = BcPskClient.tls12("alice", ALICE_KEY, CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256);
        assertThat(pump(client, 1 + random.nextInt(40))).isNull();

        assertThat(client.negotiated()).isEqualTo(ProtocolVersion.TLSv12);
        assertThat(handler.identity()).isEqualTo("alice");
        byte[] up = randomBytes(5000);
        client.write(up);
        channel.writeAndFlush(Unpooled.copiedBuffer(up));
        assertThat(pump(client, 0)).isNull();
        assertThat(above.data.toByteArray()).isEqualTo(up);
        assertThat(client.received()).isEqualTo(up);
    }

    @Test
    void plainPskSuiteWithoutForwardSecrecyIsNotOffered() throws IOException {
        BcPskClient client = BcPskClient.tls12("alice", ALICE_KEY, CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256);
        assertThat(pump(client, 0)).isInstanceOf(TlsFatalAlertReceived.class);
        assertRefused();
    }

    @Test
    void wrongKeyIsRefusedWithAnAlertAndNoIdentity() throws IOException {
        byte[] wrong = ALICE_KEY.clone();
        wrong[0] ^= 1;
        BcPskClient client = BcPskClient.tls13("alice", wrong);
        assertThat(pump(client, 0)).isInstanceOf(TlsFatalAlertReceived.class);
        assertRefused();
    }

    @Test
    void wrongKeyIsRefusedOverTls12Too() throws IOException {
        byte[] wrong = ALICE_KEY.clone();
        wrong[5] ^= 0x40;
        BcPskClient client = BcPskClient.tls12("alice", wrong, CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256);
        assertThat(pump(client, 0)).isInstanceOf(TlsFatalAlertReceived.class);
        assertRefused();
    }

    @Test
    void unknownIdentityIsRefused() throws IOException {
        BcPskClient client = BcPskClient.tls13("mallory", ALICE_KEY);
        assertThat(pump(client, 0)).isInstanceOf(TlsFatalAlertReceived.class);
        assertRefused();
    }

    private void assertRefused() {
        assertThat(handler.handshakeFuture().isDone()).isTrue();
        assertThat(handler.handshakeFuture().isSuccess()).isFalse();
        assertThat(handler.identity()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(above.data.size()).isZero();
        assertThat(above.events).singleElement()
                .isInstanceOfSatisfying(SslHandshakeCompletionEvent.class, e -> assertThat(e.isSuccess()).isFalse());
    }

    @Test
    void writesBeforeTheHandshakeEndsAreSentAfterItInOrder() throws IOException {
        ChannelFuture first = channel.writeAndFlush(Unpooled.copiedBuffer(new byte[] {1, 2, 3}));
        ChannelFuture second = channel.writeAndFlush(Unpooled.copiedBuffer(new byte[] {4, 5}));
        assertThat(first.isDone()).isFalse();
        assertThat((Object) channel.readOutbound()).as("no plaintext leaves before the handshake").isNull();

        BcPskClient client = BcPskClient.tls13("bob", HexFormat.of().parseHex(
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
        assertThat(pump(client, 0)).isNull();
        assertThat(first.isSuccess()).isTrue();
        assertThat(second.isSuccess()).isTrue();
        assertThat(client.received()).containsExactly(1, 2, 3, 4, 5);
        assertThat(handler.identity()).isEqualTo("bob");
    }

    @Test
    void queuedWritesFailWhenTheHandshakeFails() throws IOException {
        ChannelFuture queued = channel.writeAndFlush(Unpooled.copiedBuffer(new byte[] {1}));
        assertThat(pump(BcPskClient.tls13("mallory", ALICE_KEY), 0)).isNotNull();
        assertThat(queued.isDone()).isTrue();
        assertThat(queued.isSuccess()).isFalse();
    }

    @Test
    void aClientThatStallsInTheHandshakeIsDroppedAtTheDeadline() throws IOException {
        PskTlsHandler slow = newHandler(10_000);
        Above seen = new Above();
        EmbeddedChannel ch = new EmbeddedChannel(slow, seen);
        ch.freezeTime();   // the deadline was armed a moment ago: from here only advanceTimeBy moves
        byte[] hello = BcPskClient.tls13("alice", ALICE_KEY).takeOutput();
        ch.writeInbound(Unpooled.wrappedBuffer(hello, 0, hello.length / 2));   // half a ClientHello, then nothing
        runSteps(ch);
        ch.advanceTimeBy(9_900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(slow.handshakeFuture().cause()).isInstanceOf(SslHandshakeTimeoutException.class);
        assertThat(seen.events).singleElement()
                .isInstanceOfSatisfying(SslHandshakeCompletionEvent.class, e -> assertThat(e.isSuccess()).isFalse());
    }

    @Test
    void closingTheChannelSendsCloseNotify() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        assertThat(pump(client, 0)).isNull();
        channel.close();
        assertThat(pump(client, 0)).isNull();
        assertThat(client.isClosed()).as("the client saw close_notify").isTrue();
    }

    @Test
    void theClientsCloseNotifyIsAnsweredAndClosesTheChannel() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        assertThat(pump(client, 0)).isNull();
        client.write(new byte[] {42});
        client.close();
        pump(client, 0);
        assertThat(above.data.toByteArray()).containsExactly(42);
        assertThat(above.events).contains(SslCloseCompletionEvent.SUCCESS);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aTamperedRecordAfterTheHandshakeIsAnErrorThatClosesTheChannel() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        assertThat(pump(client, 0)).isNull();
        client.write(randomBytes(100));
        byte[] record = client.takeOutput();
        record[record.length - 1 - random.nextInt(100)] ^= 1;
        channel.writeInbound(Unpooled.wrappedBuffer(record));
        assertThat(above.data.size()).isZero();
        assertThat(above.errors).singleElement().isInstanceOf(IOException.class);
        assertThat(channel.isOpen()).isFalse();
        assertThat((ByteBuf) channel.readOutbound()).as("an alert went out").isNotNull();
    }

    @Test
    void aFileRegionIsRefusedNotSentInTheClear(@TempDir Path dir) throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        assertThat(pump(client, 0)).isNull();
        Path file = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
            ChannelFuture f = channel.writeAndFlush(new DefaultFileRegion(fc, 0, 3));
            assertThat(f.cause()).isInstanceOf(UnsupportedMessageTypeException.class);
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThatCode(channel::checkException).doesNotThrowAnyException();
    }
}
