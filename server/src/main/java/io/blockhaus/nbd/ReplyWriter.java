package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdFileRegionHolder;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Writes one request's reply messages to the connection, in order, flushing after the last, and
 * gives the request's payload budget back once they are written to the socket, not when they are
 * queued (see {@link PayloadBudget}): the last write's future completes when the kernel has taken
 * the bytes, or fails when the connection closes first. Event loop only.
 *
 * <h2>No allocation per reply beyond Netty's promise</h2>
 * A cached 4 KiB READ is answered in a few microseconds, and a listener allocated per reply (a
 * lambda holding the lease, plus the array Netty makes for a second listener) was a measurable
 * part of that. So the listeners are four fields, allocated once, and the leases wait in a queue:
 * <ul>
 * <li>The futures of one channel's writes complete in the order of the writes. Netty's outbound
 *     buffer completes a write's promise as its bytes leave, oldest first; when the channel
 *     closes it fails what it still holds, oldest first; a write after that fails at once. And
 *     every handler between here and the socket (the codec, FlushConsolidationHandler, TLS)
 *     keeps that order. So when a lease-holding write's future completes, the lease at the head
 *     of {@link #leases} is that write's: it is released and removed.</li>
 * <li>A lease is queued before its write is issued, since a write on a closed channel fails, and
 *     runs its listener, at once.</li>
 * </ul>
 * A failed write also goes on to the pipeline's exception handler (the connection ends, with its
 * reason), as {@link ChannelFutureListener#FIRE_EXCEPTION_ON_FAILURE} would; a reply sent from
 * the file has its own failure handling ({@link #fileSent}).
 */
final class ReplyWriter {
    private final ChannelHandlerContext ctx;
    private final Disconnector disconnector;
    /** Leases of READ replies written and not yet taken by the kernel, oldest first. */
    private final ArrayDeque<PayloadBudget.Lease> leases = new ArrayDeque<>();
    private final ChannelFutureListener fileSent = this::fileSent;
    private final ChannelFutureListener fileSentReleasing = f -> {
        releaseOldest();
        fileSent(f);
    };
    private final ChannelFutureListener sentReleasing = f -> {
        releaseOldest();
        if (!f.isSuccess()) {
            f.channel().pipeline().fireExceptionCaught(f.cause());
        }
    };

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
        boolean file = last instanceof NbdFileRegionHolder;
        ChannelFutureListener listener;
        if (lease == null) {
            listener = file ? fileSent : ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE;
        } else {
            leases.add(lease);
            listener = file ? fileSentReleasing : sentReleasing;
        }
        ctx.writeAndFlush(last).addListener(listener);
    }

    private void releaseOldest() {
        PayloadBudget.Lease oldest = leases.poll();
        if (oldest != null) {
            oldest.release();
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
        if (cause instanceof ClosedChannelException && cause.getCause() != null) {
            cause = cause.getCause(); // Netty closed the channel on the send's error, then failed the write
        }
        disconnector.disconnect(Disconnects.clientGone(cause) ? DisconnectReason.CLIENT_CLOSED
                : DisconnectReason.SEND_FROM_FILE_FAILED, "a READ reply could not be sent from the volume's file: " + cause);
    }
}
