package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdFileRegionHolder;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;

/**
 * Writes one request's reply messages to the connection, in order, flushing after the last, and
 * gives the request's payload budget back once they are written to the socket, not when they are
 * queued (see {@link PayloadBudget}): the last write's future completes when the kernel has taken
 * the bytes, or fails when the connection closes first. Event loop only.
 */
final class ReplyWriter {
    private final ChannelHandlerContext ctx;
    private final Disconnector disconnector;
    private final ChannelFutureListener fileSent = this::fileSent;

    ReplyWriter(ChannelHandlerContext ctx, Disconnector disconnector) {
        this.ctx = ctx;
        this.disconnector = disconnector;
    }

    /** Writes {@code replies}; {@code lease} (may be null) is released when the last is written or fails. */
    void write(List<Object> replies, PayloadBudget.Lease lease) {
        for (int i = 0; i < replies.size() - 1; i++) {
            Object msg = replies.get(i);
            if (msg instanceof NbdFileRegionHolder) {
                ctx.write(msg).addListener(fileSent);
            } else {
                ctx.write(msg, ctx.voidPromise());
            }
        }
        Object last = replies.getLast();
        ChannelFuture written = ctx.writeAndFlush(last).addListener(last instanceof NbdFileRegionHolder
                ? fileSent : ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        if (lease != null) {
            // Messages are written in order, and a failed one closes the channel, which fails
            // every later one: this future completes last.
            written.addListener(f -> lease.release());
        }
    }

    /**
     * A reply sent from the file fails while being sent when the kernel cannot read the file (a
     * media error, a file shortened behind the server's back): its header is out, so the only
     * honest end is closing the connection, and an operator should hear of it, unlike a client
     * that went away (then the send fails too, with a reset or a broken pipe).
     */
    private void fileSent(ChannelFuture f) {
        if (f.isSuccess()) {
            return;
        }
        Throwable cause = f.cause();
        if (cause instanceof java.nio.channels.ClosedChannelException && cause.getCause() != null) {
            cause = cause.getCause(); // Netty closed the channel on the send's error, then failed the write
        }
        disconnector.disconnect(Disconnects.clientGone(cause) ? DisconnectReason.CLIENT_CLOSED
                : DisconnectReason.SEND_FROM_FILE_FAILED, "a READ reply could not be sent from the volume's file: " + cause);
    }
}
