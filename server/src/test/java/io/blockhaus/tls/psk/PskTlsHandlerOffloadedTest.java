package io.blockhaus.tls.psk;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link PskTlsHandlerTest} again, with the handshake's steps handed to an executor
 * (run by the test, so every interleaving below is chosen, not hoped for), and what is particular
 * to that: the engine is offered nothing on the event loop before the handshake ends, nothing is
 * read while a step runs, input that arrived meanwhile is offered after it in order, and the
 * deadline that falls during a step is acted on when the step is back.
 */
class PskTlsHandlerOffloadedTest extends PskTlsHandlerTest {

    @Override
    boolean offloads() {
        return true;
    }

    @Test
    void theClientHelloIsOfferedByAStepNotOnTheLoopAndReadingWaitsForIt() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        byte[] hello = client.takeOutput();
        channel.writeInbound(Unpooled.wrappedBuffer(hello));

        assertThat(steps).as("the hello went to the executor").hasSize(1);
        assertThat((Object) channel.readOutbound()).as("nothing answered before the step ran").isNull();
        assertThat(channel.config().isAutoRead()).as("no reading while the step runs").isFalse();
        channel.read();   // a read asked for from above meanwhile is held, not passed on
        assertThat(steps).hasSize(1);

        runSteps();
        assertThat(channel.config().isAutoRead()).as("reading resumes when the step is back").isTrue();
        ByteBuf flight = channel.readOutbound();
        assertThat(flight).as("the server's flight is sent by the loop when the step is back").isNotNull();
        client.offer(ByteBufUtil.getBytes(flight));
        flight.release();
        assertThat(pump(client, 0)).isNull();
        assertThat(handler.identity()).isEqualTo("alice");
        assertThat(above.events).containsExactly(SslHandshakeCompletionEvent.SUCCESS);
    }

    @Test
    void inputThatArrivesDuringAStepIsOfferedAfterItInOrder() throws IOException {
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        byte[] hello = client.takeOutput();
        int cut = 1 + hello.length / 3;
        channel.writeInbound(Unpooled.wrappedBuffer(hello, 0, cut));
        // Netty delivers what one socket read already had even after auto-read went off:
        channel.writeInbound(Unpooled.wrappedBuffer(hello, cut, 7));
        channel.writeInbound(Unpooled.wrappedBuffer(hello, cut + 7, hello.length - cut - 7));
        assertThat(steps).as("one step at a time; the rest waits in order").hasSize(1);

        assertThat(pump(client, 0)).isNull();
        assertThat(client.handshakeComplete()).isTrue();
        assertThat(handler.identity()).isEqualTo("alice");

        byte[] up = new byte[] {9, 8, 7};
        client.write(up);
        assertThat(pump(client, 0)).isNull();
        assertThat(steps).as("after the handshake the loop decrypts itself").isEmpty();
        assertThat(above.data.toByteArray()).isEqualTo(up);
    }

    /**
     * The NBD pipeline holds its replies' flushes until {@code channelReadComplete}: plaintext
     * that a step yields must be followed by one, or the answer to the first message after the
     * handshake never leaves (qemu's first option waited out the deadline).
     */
    @Test
    void plaintextFromAStepEndsWithReadCompleteSoAnswersHeldForItLeave() throws IOException {
        EmbeddedChannel ch = new EmbeddedChannel(newHandler(PskTlsHandler.HANDSHAKE_TIMEOUT_MILLIS),
                new FlushConsolidationHandler(16, true), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.writeAndFlush(msg);   // echo: flushed at read complete
                    }
                });
        BcPskClient client = BcPskClient.tls13("alice", ALICE_KEY);
        ch.writeInbound(Unpooled.wrappedBuffer(client.takeOutput()));
        runSteps(ch);
        for (ByteBuf b; (b = ch.readOutbound()) != null; b.release()) {
            client.offer(ByteBufUtil.getBytes(b));
        }
        client.write(new byte[] {1, 2, 3, 4});   // in the same read as the client's Finished
        ch.writeInbound(Unpooled.wrappedBuffer(client.takeOutput()));
        assertThat(steps).as("the Finished is a handshake step").hasSize(1);
        runSteps(ch);
        for (ByteBuf b; (b = ch.readOutbound()) != null; b.release()) {
            client.offer(ByteBufUtil.getBytes(b));
        }
        assertThat(client.received()).as("the echo left without another read").containsExactly(1, 2, 3, 4);
    }

    @Test
    void theDeadlineFallingDuringAStepFailsTheHandshakeWhenTheStepIsBack() throws IOException {
        PskTlsHandler slow = newHandler(10_000);
        Above seen = new Above();
        EmbeddedChannel ch = new EmbeddedChannel(slow, seen);
        ch.freezeTime();
        byte[] hello = BcPskClient.tls13("alice", ALICE_KEY).takeOutput();
        ch.writeInbound(Unpooled.wrappedBuffer(hello));
        assertThat(steps).hasSize(1);

        ch.advanceTimeBy(10_000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("the engine is the step's: the failure waits for it").isTrue();
        assertThat(slow.handshakeFuture().isDone()).isFalse();

        steps.removeFirst().run();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(slow.handshakeFuture().cause()).isInstanceOf(SslHandshakeTimeoutException.class);
        assertThat(seen.events).singleElement()
                .isInstanceOfSatisfying(SslHandshakeCompletionEvent.class, e -> assertThat(e.isSuccess()).isFalse());
    }

    @Test
    void aChannelClosedDuringAStepDropsItsResultAndReleasesTheInput() throws IOException {
        byte[] hello = BcPskClient.tls13("alice", ALICE_KEY).takeOutput();
        ByteBuf first = Unpooled.wrappedBuffer(hello, 0, hello.length / 2);
        ByteBuf queued = Unpooled.wrappedBuffer(hello, hello.length / 2, hello.length - hello.length / 2);
        channel.writeInbound(first);
        channel.writeInbound(queued);
        assertThat(steps).hasSize(1);

        channel.close();
        assertThat(queued.refCnt()).as("input queued behind the step is released at the close").isZero();
        runSteps();
        assertThat(first.refCnt()).as("the step's input is released when it is back").isZero();
        assertThat((Object) channel.readOutbound()).as("nothing sent after the close").isNull();
        assertThat(handler.handshakeFuture().isSuccess()).isFalse();
    }
}
