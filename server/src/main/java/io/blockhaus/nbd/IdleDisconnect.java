package io.blockhaus.nbd;

import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection in transmission that has been idle for the idle timeout: no byte read and
 * none written for that long (Netty's all-idle), and nothing in flight or queued when the timer
 * fires, so a long FLUSH or a client that is slow to read its replies is never cut off; only a
 * client that has gone quiet is. During the handshake the handshake deadline rules, so an idle
 * event then is ignored. Sits at the head of the pipeline from accept (no handshake change needed
 * to add it) and only when the timeout is on.
 */
final class IdleDisconnect extends IdleStateHandler {
    private final Refusals refusals;
    private final Duration timeout;

    IdleDisconnect(Duration timeout, Refusals refusals) {
        super(0, 0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        this.timeout = timeout;
        this.refusals = refusals;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() != IdleState.ALL_IDLE) {
            return;
        }
        NbdTransmissionHandler transmission = ctx.pipeline().get(NbdTransmissionHandler.class);
        if (transmission == null || !transmission.quiescent()) {
            return; // still in the handshake (its own deadline), or work in flight: not idle
        }
        String detail = "sent no request for " + timeout.toMillis() + " ms";
        refusals.refused(RefusalReason.IDLE_TIMEOUT, ctx.channel().remoteAddress() + " " + detail);
        transmission.disconnect(DisconnectReason.IDLE_TIMEOUT, detail);
    }
}
