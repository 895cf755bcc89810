package io.blockhaus.nbd;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.store.FfmNativeIo;
import io.blockhaus.engine.store.NativeIo;
import io.blockhaus.engine.store.NativeIoException;
import io.blockhaus.engine.store.Pipe;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdRequest;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.util.ArrayDeque;

/**
 * Takes large WRITE payloads out of one connection's socket into kernel pipes with splice(2),
 * so the engine can splice them on into the file: the payload then never enters the JVM, and the
 * server makes one copy of it (into the file's page cache) where a recv-then-pwrite server makes
 * two. On a 2-core machine that copy count is what bounds 1 MiB writes (docs/benchmarks.md).
 *
 * <p>Only where it can pay: Netty's epoll transport (the socket's descriptor is reachable), a
 * volume whose store splices, and a WRITE at least as large as the volume's streaming-bypass
 * threshold (64 KiB for io=direct), page-aligned, that fits one pipe, and whose payload has not
 * been read yet. A pipe is filled without waiting: whatever has not arrived yet is read the
 * usual way, and the worker then copies the pipe's part out and writes both (no worse than
 * before). Anything that fails here just turns splicing off for the connection.
 *
 * <p>Event loop only. Pipes are kept for reuse, at most one per request the connection may
 * have in flight, and only when empty; each holds at most its capacity (1 MiB) of the
 * client's payload, which the server-wide payload budget already counts.
 */
final class WriteSplicer {
    /** Pipe capacity asked for: one large WRITE (the default pipe-max-size, so any user gets it). */
    static final int PIPE_BYTES = 1024 * 1024;
    private static final int DIRECT_MIN_BYTES = 64 * 1024;

    private final NativeIo io;
    private final int socketFd;
    private final int minBytes;
    private final int pageMask;
    private final int maxPipes;
    private final ArrayDeque<Pipe> idle = new ArrayDeque<>();
    private int pipes;
    private boolean enabled = true;

    private WriteSplicer(NativeIo io, int socketFd, int minBytes, int pageSize, int maxPipes) {
        this.io = io;
        this.socketFd = socketFd;
        this.minBytes = minBytes;
        this.pageMask = pageSize - 1;
        this.maxPipes = maxPipes;
    }

    /** A splicer for this connection, or null where splicing cannot work or pay. */
    static WriteSplicer forConnection(Channel channel, Volume volume, int maxInflight, boolean enabled) {
        if (!enabled || !(channel instanceof EpollSocketChannel epoll) || !volume.writesFromPipes()) {
            return null;
        }
        int min = volume.config().io() == IoMode.DIRECT ? DIRECT_MIN_BYTES : volume.config().bypassBytes();
        if (min <= 0) {
            return null; // bypass=off: every buffered write goes through the cache, never the pipe path
        }
        return new WriteSplicer(FfmNativeIo.instance(), epoll.fd().intValue(), min, volume.pageSize(), maxInflight);
    }

    /** Whether {@code r} is a WRITE worth splicing (its payload's state is the decoder's to tell). */
    boolean wants(NbdRequest r) {
        long len = r.length();
        return enabled && r.command().equals(NbdCommand.WRITE) && len >= minBytes && len <= PIPE_BYTES
                && (r.offset() & pageMask) == 0 && (len & pageMask) == 0;
    }

    /**
     * A pipe holding as much of the next {@code length} socket bytes as have arrived (possibly
     * none), or null when no pipe can be had (then nothing was read).
     */
    Pipe fill(long length) {
        Pipe pipe = idle.poll();
        try {
            if (pipe == null) {
                if (pipes >= maxPipes) {
                    return null;
                }
                pipe = Pipe.open(io, PIPE_BYTES);
                pipes++;
                if (pipe.capacity() < length) {
                    release(pipe); // the kernel would not grant a pipe this large: keep it for smaller ones
                    return null;
                }
            }
            long n = pipe.fillFrom(socketFd, length);
            if (n < 0) {
                release(pipe); // the client closed: Netty's next read sees it too
                return null;
            }
            return pipe;
        } catch (NativeIoException e) {
            disable(pipe);
            return null;
        }
    }

    /** Takes back a pipe the engine is done with; it is reused only if empty. */
    void release(Pipe pipe) {
        if (enabled && pipe.buffered() == 0) {
            idle.push(pipe);
        } else {
            pipe.close();
            pipes--;
        }
    }

    /** Closes the idle pipes; pipes still in use are closed as they come back. */
    void close() {
        enabled = false;
        idle.forEach(Pipe::close);
        pipes -= idle.size();
        idle.clear();
    }

    private void disable(Pipe pipe) {
        System.getLogger(WriteSplicer.class.getName()).log(System.Logger.Level.DEBUG,
                "splicing WRITE payloads turned off for a connection");
        if (pipe != null) {
            pipe.close(); // empty: Pipe.fillFrom throws only before moving a byte
            pipes--;
        }
        close();
    }
}
