package io.blockhaus.nbd;

import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.nbd.codec.NbdPayloadChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The payload that follows a WRITE's header on the wire: gathered as the decoder hands it over
 * in chunks (after whatever part {@link PayloadSplicing} took out of the socket), or skipped when
 * the WRITE was refused, so the stream stays aligned (nbdkit's skip_over_write_buffer). A refused
 * WRITE is answered only once its payload has been read: a client still sending it (libnbd) has
 * not yet put the request in flight and drops a connection that replies to it early.
 *
 * <p>A payload partly taken into a pipe may grow there ({@link #piped()}) until it is whole
 * ({@link #wholeInPipe()}) or until a byte of it comes through the decoder; from then on the rest
 * comes through the decoder, so the pipe's bytes always come first.
 *
 * <p>At most one payload at a time: the next request's header comes after it. A WRITE whose
 * payload gets no byte for the stall timeout closes the connection: it holds its length of the
 * server-wide budget until the payload is complete. Event loop only.
 */
final class PayloadReceiver {
    /** What a chunk completed: a WRITE to run, or the answer to a refused one. */
    sealed interface Completed permits Write, Refusal {
    }

    record Write(Job job) implements Completed {
    }

    record Refusal(List<Object> reply) implements Completed {
    }

    private final ByteBufAllocator alloc;
    private final Duration stallTimeout;
    private final Disconnector disconnector;
    private NbdRequest writing;
    private PayloadBudget.Lease lease;
    private PayloadPipe piped;
    private long started;
    private WritePayload buffer;
    private List<Object> refusal; // non-null while skipping a refused WRITE's payload
    private long chunks;          // payload chunks received or piped, ever: progress for the stall check
    private ScheduledFuture<?> stallCheck;

    PayloadReceiver(ByteBufAllocator alloc, Duration stallTimeout, Disconnector disconnector) {
        this.alloc = alloc;
        this.stallTimeout = stallTimeout;
        this.disconnector = disconnector;
    }

    /** Expects the payload of {@code r}, after the {@code piped} part (may be null) already taken. */
    void receive(NbdRequest r, PayloadBudget.Lease lease, PayloadPipe piped, long started) {
        this.writing = r;
        this.started = started;
        this.lease = lease;
        this.piped = piped;
        this.buffer = null; // made by the first chunk: until then the pipe may take more of the payload
    }

    /** Skips the payload of a refused WRITE; {@code reply} is sent once it has all been read. */
    void skip(List<Object> reply) {
        this.refusal = reply;
    }

    /** A payload is expected (a WRITE's or a refused one's): the socket must be read for it. */
    boolean active() {
        return writing != null || refusal != null;
    }

    boolean receivingWrite() {
        return writing != null;
    }

    boolean skipping() {
        return refusal != null;
    }

    /** Part of the payload being received came through a pipe. */
    boolean partlyPiped() {
        return piped != null;
    }

    /** The pipe that may take more of the payload: part of it is there and none has come through the decoder. */
    PayloadPipe growingPipe() {
        return writing != null && buffer == null ? piped : null;
    }

    /** More of the payload was moved into {@link #growingPipe()}: progress, for the stall check. */
    void piped() {
        chunks++;
    }

    /** Bytes of the WRITE's payload still to come. */
    long remaining() {
        if (writing == null) {
            return 0;
        }
        return buffer != null ? buffer.remaining() : writing.length() - (piped == null ? 0 : piped.buffered());
    }

    /** The WRITE whose payload is now all in its pipe, taken from this receiver; null if none. */
    Write wholeInPipe() {
        if (writing == null || buffer != null || piped == null || piped.buffered() < writing.length()) {
            return null;
        }
        Job job = new Job(writing, lease, null, piped, started);
        writing = null;
        lease = null;
        piped = null;
        stopWatching();
        return new Write(job);
    }

    /** Takes a chunk (the caller releases it); what it completed, or null. */
    Completed accept(NbdPayloadChunk chunk) {
        if (writing == null) {
            if (chunk.last() && refusal != null) {
                List<Object> reply = refusal;
                refusal = null;
                return new Refusal(reply);
            }
            return null; // more of a refused WRITE's payload
        }
        if (buffer == null) {
            buffer = new WritePayload(alloc, remaining());
        }
        buffer.add(chunk.content());
        chunks++;
        if (!chunk.last()) {
            return null;
        }
        Job job = new Job(writing, lease, buffer.finish(), piped, started);
        writing = null;
        lease = null;
        piped = null;
        buffer = null;
        stopWatching();
        return new Write(job);
    }

    /**
     * Closes the connection if the WRITE being received gets no payload byte for the stall
     * timeout. Armed only when a payload outlives the socket read that brought its header: most
     * small WRITEs arrive whole, and a timer per WRITE would cost on the hot path.
     */
    void watchIfArriving(ChannelHandlerContext ctx) {
        if (writing == null || stallCheck != null) {
            return;
        }
        long seen = chunks;
        stallCheck = ctx.executor().schedule(() -> {
            stallCheck = null;
            if (writing == null || !ctx.channel().isActive()) {
                return;
            }
            if (chunks == seen) {
                disconnector.disconnect(DisconnectReason.PAYLOAD_STALL, "no byte of a WRITE's payload for "
                        + stallTimeout.toMillis() + " ms");
                return;
            }
            watchIfArriving(ctx);
        }, stallTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void stopWatching() {
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
    }

    /**
     * The connection closed: drops the partial payload and gives back its budget; returns the
     * WRITE that never completed (to be counted out of flight) and its pipe through {@code splicing}.
     */
    NbdRequest close(PayloadSplicing splicing) {
        stopWatching();
        NbdRequest r = writing;
        if (buffer != null) {
            buffer.release();
        }
        if (piped != null) {
            splicing.giveBack(piped);
        }
        if (lease != null) {
            lease.release();
        }
        writing = null;
        buffer = null;
        piped = null;
        lease = null;
        refusal = null;
        return r;
    }
}
