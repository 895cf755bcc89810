package io.blockhaus.grpc;

import io.blockhaus.limits.ConnectionCaps;
import io.blockhaus.limits.Refusals;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code maxTotal} gRPC connections open at once, at most {@code maxPerSource} from one
 * address: a connection past either is closed at accept, before HTTP/2 starts.
 *
 * <p><b>Why a connection cap is the memory bound.</b> What a client can make the server buffer
 * on one connection is that connection's HTTP/2 receive window: gRPC reads a call's next message
 * only when its handler asks for it (one at a time, after the previous one was written), and
 * HTTP/2 flow control stops the client once the connection's window of unread bytes is full
 * (Netty's codec closes a connection that sends past it with FLOW_CONTROL_ERROR). The window is
 * {@link GrpcServer#FLOW_CONTROL_WINDOW}, 8 MiB, and gRPC's BDP tuning never grows it past 8 MiB
 * (grpc-netty's own ceiling). So the windows together are at most {@code maxTotal x 8 MiB}, which
 * nothing bounded before: every connection a client opened was another 8 MiB. Messages already
 * handed to a call are a second term, bounded by the payload budget ({@link MessageBudget});
 * docs/nbd.md sums both into the server's worst case. <b>Correction (2026-12-06):</b> the window
 * that holds unread bytes back is each call's stream window, not the connection's: grpc-netty
 * refills the connection window as bytes arrive (its {@code DefaultHttp2LocalFlowController} is
 * built with {@code autoRefillConnectionWindow}), so a connection holds up to its calls x 8 MiB,
 * and this cap bounds connections, not their bytes (docs/nbd.md: an open gap). The alternatives
 * weighed: a shared budget that shrinks each connection's window as connections arrive needs
 * window control gRPC does not expose (it sets the window once per connection); counting
 * messages against a budget before the handler runs comes too late for the window, since the
 * bytes are already read. A cap costs one counter per accept and holds nothing per byte.
 *
 * <p><b>Why at accept.</b> As for NBD (its {@code ConnectionAdmission}, which this mirrors): a
 * refusal after the HTTP/2 preface would already have granted the window and held the
 * connection for a round trip, the very resource being limited. The counting is
 * {@link ConnectionCaps}', as NBD's. The client sees its connection
 * fail (UNAVAILABLE) and retries with its backoff, like a server that is down.
 *
 * <p><b>How.</b> This handler sits in the <em>listening</em> channel's pipeline, ahead of
 * Netty's acceptor (it is added when {@link #channel} makes the channel, before the bootstrap
 * adds the acceptor), so it sees each accepted connection before it is registered: refused ones
 * are closed there; admitted ones are counted out when they close (one whose registration with
 * an event loop fails, which happens only while the loops shut down, is closed by Netty without
 * completing its close future and stays counted: the server is stopping). It also counts the bytes
 * read on each open connection ({@link #receivedOnOpenConnections}): while no handler consumes
 * anything, that is what the server holds of its clients' data, which is how tests check the
 * bound (one add per socket read).
 */
@ChannelHandler.Sharable
final class GrpcConnectionCap extends ChannelInboundHandlerAdapter {
    private final ConnectionCaps.Counter open = new ConnectionCaps.Counter();
    private final ConnectionCaps caps;
    private final AtomicLong receivedOnOpen = new AtomicLong();

    GrpcConnectionCap(int maxTotal, int maxPerSource, Refusals refusals) {
        this.caps = new ConnectionCaps("gRPC", maxTotal, maxPerSource, open, refusals);
    }

    /** {@code listening} with this cap in its pipeline, ahead of the acceptor the bootstrap adds later. */
    <C extends Channel> C channel(C listening) {
        listening.pipeline().addLast(this);
        return listening;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        InetAddress source = child.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (source == null || !caps.tryAdmit(source)) {
            child.unsafe().closeForcibly(); // not registered yet: nothing to flush, nobody to tell
            return;
        }
        ReceivedBytes received = new ReceivedBytes();
        child.pipeline().addFirst(received); // before gRPC's handlers, which the acceptor adds next
        child.closeFuture().addListener(f -> {
            receivedOnOpen.addAndGet(-received.total);
            caps.closed(source);
        });
        ctx.fireChannelRead(child);
    }

    /** Connections open now. */
    int open() {
        return open.open();
    }

    /** Bytes read so far on the connections open now (see the class comment: a test's measure, not a memory gauge). */
    long receivedOnOpenConnections() {
        return receivedOnOpen.get();
    }

    /** Counts what one connection's socket reads deliver; its event loop only, so a plain field for the total. */
    private final class ReceivedBytes extends ChannelInboundHandlerAdapter {
        private long total;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                total += b.readableBytes();
                receivedOnOpen.addAndGet(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }
}
