package io.blockhaus.tls.psk;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;

/**
 * A connection's reading, stopped while {@link PskTlsHandler}'s handshake step runs on another
 * thread, and what arrives anyway held in order until it is back.
 *
 * <p>Why it is bounded: pausing turns auto-read off and holds every read asked for from above
 * ({@link #ask}), so after the pause nothing more is read from the socket; only what the socket
 * read in progress had already delivered arrives ({@link #hold}). A client cannot make the server
 * buffer its input behind a handshake.
 *
 * <p>Why it restores rather than resumes: the layer above owns auto-read (NBD turns it off and
 * asks for each read itself). {@link #resume} puts auto-read back as it was and, where it was
 * off, passes on a read that was asked for meanwhile, or the one the handshake's next flight
 * needs. Event loop only: no lock.
 */
final class ReadPause {
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private boolean paused;
    private boolean autoReadBefore;
    private boolean readAsked;

    boolean paused() {
        return paused;
    }

    /** Stops reading (once; a pause in progress stays as it is). */
    void pause(ChannelHandlerContext ctx) {
        if (!paused) {
            paused = true;
            autoReadBefore = ctx.channel().config().isAutoRead();
            ctx.channel().config().setAutoRead(false);
        }
    }

    /**
     * Reading as before the pause. With auto-read off before, a read is asked for if one was
     * asked for meanwhile or {@code wantMore} (the handshake waits for the peer's next flight).
     */
    void resume(ChannelHandlerContext ctx, boolean wantMore) {
        if (!paused) {
            return;
        }
        paused = false;
        if (autoReadBefore) {
            ctx.channel().config().setAutoRead(true);
        } else if (readAsked || wantMore) {
            ctx.read();
        }
        readAsked = false;
    }

    /** A read asked for from above: passed on, or held until {@link #resume} while paused. */
    void ask(ChannelHandlerContext ctx) {
        if (paused) {
            readAsked = true;
        } else {
            ctx.read();
        }
    }

    /** Input that arrived while a step ran: kept, in order, for when it is back. */
    void hold(ByteBuf in) {
        held.add(in);
    }

    /** The oldest held input, or null. */
    ByteBuf nextHeld() {
        return held.poll();
    }

    boolean anyHeld() {
        return !held.isEmpty();
    }

    /** Releases whatever is held (the connection is closing). */
    void releaseHeld() {
        for (ByteBuf b; (b = held.poll()) != null; ) {
            b.release();
        }
    }
}
