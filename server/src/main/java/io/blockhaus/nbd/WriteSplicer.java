package io.blockhaus.nbd;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdLimits;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdTransmissionDecoder;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.util.ArrayDeque;
import java.util.function.IntSupplier;

/**
 * Takes large WRITE payloads out of one connection's socket into kernel pipes with splice(2),
 * so the engine can splice them on into the file: the payload then never enters the JVM, and the
 * server makes one copy of it (into the file's page cache) where a recv-then-pwrite server makes
 * two. On a 2-core machine that copy count is what bounds 1 MiB writes (an A/B on 2026-12-05:
 * 1 MiB sequential writes at 3.2 GB/s with it, 2.0 without; docs/benchmarks/splice-ab-2026-12-05.md).
 *
 * <p>Only where it can pay: Netty's epoll transport (the socket's descriptor is reachable), a
 * volume whose store splices, and a WRITE at least as large as the volume's streaming-bypass
 * threshold (64 KiB for io=direct), page-aligned, that fits one pipe, and whose payload has not
 * been read yet. A pipe is filled without waiting, with what has arrived. Anything that fails
 * here just turns splicing off for the connection.
 *
 * <p>While the client streams such WRITEs, the socket is read one request header at a time
 * ({@link HeaderSizedReads}), so that each payload is still in the socket when its header is
 * handled. The loop often handles a header while the client is still sending its payload (on
 * loopback, 25-50 % of 1 MiB WRITEs when the loop keeps up with fio): then the rest is spliced
 * into the same pipe as it arrives, at the start of each socket read ({@link #topUp}), so the
 * payload still crosses the server with one copy. Only bytes that slip in between that splice and
 * the read (the read is then sized to the rest, so it never swallows the next request) come
 * through the decoder; from then on the rest does, and the worker splices the pipe's part and
 * writes the rest after it (where the engine cannot, it copies the pipe's part out and writes
 * both, no worse than without a pipe).
 *
 * <p>Event loop only. Pipes are kept for reuse, at most one per request the connection may
 * have in flight, and only when empty; each holds at most its capacity (1 MiB) of the
 * client's payload, which the server-wide payload budget already counts.
 */
final class WriteSplicer implements PayloadSplicing {
    /** Pipe capacity asked for: one large WRITE (the default pipe-max-size, so any user gets it). */
    static final int PIPE_BYTES = 1024 * 1024;
    private static final int DIRECT_MIN_BYTES = 64 * 1024;
    /** Pipes one connection keeps at most (two descriptors each): enough for a client's queue of 1 MiB WRITEs. */
    private static final int MAX_PIPES = 16;

    private final int socketFd;
    private final int minBytes;
    private final int pageMask;
    private final int maxPipes;
    private final int headerLength;
    private final HeaderSizedReads reads;
    private final SpliceCounters counters;
    private final ArrayDeque<PayloadPipe> idle = new ArrayDeque<>();
    private int pipes;
    private boolean enabled = true;
    private boolean streaming; // the last request was a WRITE worth splicing: read headers alone
    private NbdTransmissionDecoder decoder; // set by start: the connection's one decoder
    private PayloadReceiver receiving;      // set by beforeRead: the connection's one receiver
    /** Made once: a method reference handed over per read would allocate. */
    private final IntSupplier topUp = this::topUp;

    private WriteSplicer(int socketFd, int minBytes, int pageSize, int maxPipes, int headerLength,
            HeaderSizedReads reads, SpliceCounters counters) {
        this.socketFd = socketFd;
        this.minBytes = minBytes;
        this.pageMask = pageSize - 1;
        this.maxPipes = maxPipes;
        this.headerLength = headerLength;
        this.reads = reads;
        this.counters = counters;
    }

    /** A splicer for this connection, or {@link PayloadSplicing#OFF} where splicing cannot work or pay. */
    static PayloadSplicing forConnection(Channel channel, NbdSession session, NbdServerConfig config,
            SpliceCounters counters) {
        Volume volume = session.volume();
        if (!config.spliceWrites() || !(channel instanceof EpollSocketChannel epoll) || !volume.writesFromPipes()
                || !(channel.config().getRecvByteBufAllocator() instanceof HeaderSizedReads reads)) {
            return OFF;
        }
        int min = volume.config().io() == IoMode.DIRECT ? DIRECT_MIN_BYTES : volume.config().bypassBytes();
        if (min <= 0) {
            return OFF; // bypass=off: every buffered write goes through the cache, never the pipe path
        }
        int header = session.extendedHeaders() ? NbdLimits.EXTENDED_REQUEST_HEADER_LENGTH : NbdLimits.REQUEST_HEADER_LENGTH;
        return new WriteSplicer(epoll.fd().intValue(), min, volume.pageSize(),
                Math.min(config.maxInflightRequests(), MAX_PIPES), header, reads, counters);
    }

    /** Whether {@code r} is a WRITE worth splicing (its payload's state is the decoder's to tell). */
    private boolean wants(NbdRequest r) {
        long len = r.length();
        return enabled && r.command().equals(NbdCommand.WRITE) && len >= minBytes && len <= PIPE_BYTES
                && (r.offset() & pageMask) == 0 && (len & pageMask) == 0;
    }

    @Override
    public PayloadPipe start(NbdRequest r, NbdTransmissionDecoder decoder) {
        this.decoder = decoder;
        streaming = wants(r);
        if (!streaming || !decoder.payloadUnread(r)) {
            return null;
        }
        PayloadPipe pipe = fill(r.length());
        if (pipe == null) {
            return null;
        }
        long piped = pipe.buffered();
        if (piped == 0) {
            giveBack(pipe); // nothing had arrived: the payload comes the usual way
            return null;
        }
        decoder.payloadTaken(piped);
        if (piped < r.length()) {
            counters.partly();
        }
        return pipe;
    }

    @Override
    public void beforeRead(PayloadReceiver receiving) {
        this.receiving = receiving;
        if (streaming && receiving.growingPipe() != null) {
            reads.sizeEachRead(topUp);
        } else {
            reads.limitNextReads(nextReadSize(receiving));
        }
    }

    /**
     * At the start of a socket read, while a partly arrived payload's pipe may grow: splices what
     * has arrived of the rest into it and sizes the read: the next header once the payload is
     * whole (the handler then runs the WRITE, {@link PayloadReceiver#wholeInPipe}), else the rest.
     * Runs inside the transport's read, so it never throws: a failed or ended socket is left for
     * the read itself to find.
     */
    private int topUp() {
        PayloadPipe pipe = receiving.growingPipe();
        long rest = receiving.remaining();
        if (pipe != null && rest > 0 && enabled) {
            try {
                long n = pipe.fillFrom(socketFd, rest);
                if (n > 0) {
                    decoder.payloadTaken(n);
                    receiving.piped();
                    rest -= n;
                    if (rest == 0) {
                        counters.completedInPipe();
                    }
                }
            } catch (ErrnoException e) {
                // The socket failed: the read sized below finds that too and closes the channel.
            }
        }
        return rest > 0 ? (int) Math.min(rest, PIPE_BYTES) : headerLength;
    }

    /**
     * Adaptive reads, except in a stream of WRITEs worth splicing: then one header between
     * requests, and for the rest of a payload only partly spliced exactly that rest.
     */
    private int nextReadSize(PayloadReceiver receiving) {
        if (!streaming || receiving.skipping()) {
            return 0;
        }
        if (!receiving.receivingWrite()) {
            return headerLength;
        }
        return receiving.partlyPiped() ? (int) Math.min(receiving.remaining(), PIPE_BYTES) : 0;
    }

    /**
     * A pipe holding as much of the next {@code length} socket bytes as have arrived (possibly
     * none), or null when no pipe can be had (then nothing was read).
     */
    private PayloadPipe fill(long length) {
        PayloadPipe pipe = idle.poll();
        try {
            if (pipe == null) {
                if (pipes >= maxPipes) {
                    return null;
                }
                pipe = PayloadPipe.open(PIPE_BYTES);
                pipes++;
                if (pipe.capacity() < length) {
                    giveBack(pipe); // the kernel would not grant a pipe this large: keep it for smaller ones
                    return null;
                }
            }
            long n = pipe.fillFrom(socketFd, length);
            if (n < 0) {
                giveBack(pipe); // the client closed: Netty's next read sees it too
                return null;
            }
            return pipe;
        } catch (ErrnoException e) {
            disable(pipe);
            return null;
        }
    }

    /** Takes back a pipe the engine is done with; it is reused only if empty. */
    @Override
    public void giveBack(PayloadPipe pipe) {
        if (enabled && pipe.buffered() == 0) {
            idle.push(pipe);
        } else {
            pipe.close();
            pipes--;
        }
    }

    /** Closes the idle pipes; pipes still in use are closed as they come back. */
    @Override
    public void close() {
        enabled = false;
        idle.forEach(PayloadPipe::close);
        pipes -= idle.size();
        idle.clear();
    }

    private void disable(PayloadPipe pipe) {
        System.getLogger(WriteSplicer.class.getName()).log(System.Logger.Level.DEBUG,
                "splicing WRITE payloads turned off for a connection");
        if (pipe != null) {
            pipe.close(); // empty: a fill fails only before moving a byte
            pipes--;
        }
        close();
    }
}
