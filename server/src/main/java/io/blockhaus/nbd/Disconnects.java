package io.blockhaus.nbd;

import io.blockhaus.limits.RateLimitedLog;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every NBD connection that ends (but for the handshake's refusals), counted by its {@link DisconnectReason}, so a
 * connection the server closes is never silent: one that a benchmark's client saw reset while
 * the server's log said nothing is what made this class (docs/benchmarks/reset-2026-12-05.md).
 * Reasons that are the server's choice on a fault are logged (WARNING), and so is a client that
 * went away with requests in flight (INFO): both at most once per reason per
 * {@value #LOG_INTERVAL_SECONDS} seconds ({@link RateLimitedLog}), so a client that provokes them
 * in a loop cannot flood the log; the counts are exact. Thread-safe.
 */
public final class Disconnects {
    static final long LOG_INTERVAL_SECONDS = 10;

    private final Map<DisconnectReason, LongAdder> counts = new EnumMap<>(DisconnectReason.class);
    private final RateLimitedLog log;

    Disconnects() {
        this(new RateLimitedLog(System.getLogger(Disconnects.class.getName()),
                TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS), System::nanoTime));
    }

    Disconnects(RateLimitedLog log) {
        this.log = log;
        for (DisconnectReason r : DisconnectReason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /**
     * Counts one connection ended for {@code reason} and logs it as the class comment says.
     * {@code who} is the client's address, {@code detail} what happened, {@code inFlight} the
     * requests it had started and not yet been answered.
     */
    void ended(DisconnectReason reason, Object who, String detail, int inFlight) {
        counts.get(reason).increment();
        Level level = reason.serverFault() ? Level.WARNING
                : reason == DisconnectReason.CLIENT_CLOSED && inFlight > 0 ? Level.INFO : null;
        if (level != null) {
            log.log(reason, "NBD connections ended for " + reason.label(), level,
                    "closing NBD connection " + who + " (" + reason.label() + "): " + detail
                            + (inFlight > 0 ? "; " + inFlight + " request(s) in flight left unanswered" : ""));
        }
    }

    /** Connections ended for {@code reason} since the server started. */
    public long count(DisconnectReason reason) {
        return counts.get(reason).sum();
    }

    /**
     * Linux's ETIMEDOUT, negated as Netty's native transport reports errnos. Netty names no
     * constant for it (it has EPIPE, ECONNRESET, ENETUNREACH, EHOSTUNREACH); 110 on every
     * architecture its epoll transport is built for (asm-generic/errno.h).
     */
    private static final int ETIMEDOUT_NEGATIVE = -110;

    /**
     * Whether a failed read or write means only that the client is gone: it closed or reset the
     * connection (ECONNRESET, EPIPE), or TCP gave up on it: its retransmissions or keepalive
     * probes went unanswered (ETIMEDOUT), or an ICMP error said the host or its network cannot be
     * reached (EHOSTUNREACH, ENETUNREACH: the kernel reports the last such error instead of
     * ETIMEDOUT when it gives up). Then the close is the client's (or its network's), not a fault
     * of the server's. The epoll transport carries the errno ({@link Errors.NativeIoException}, from
     * a read, writev or sendfile); when Netty closed the channel on the error first, a write
     * fails with a {@link ClosedChannelException} whose cause it is. One ambiguity is left: a
     * reply sent from the file (sendfile) gets the file's errno too, and a file system under the
     * export that is itself remote (FUSE, NFS with softerr) may answer with one of these; that
     * close counts as the client's, and its line (INFO, with requests in flight) names the errno.
     */
    static boolean clientGone(Throwable cause) {
        if (cause instanceof ClosedChannelException && cause.getCause() != null) {
            cause = cause.getCause(); // Netty closed the channel on the error, then failed the write
        }
        return cause instanceof ClosedChannelException
                || cause instanceof Errors.NativeIoException e && peerGone(e.expectedErr())
                || cause instanceof IOException io && isPeerGoneMessage(io.getMessage());
    }

    private static boolean peerGone(int negativeErrno) {
        return negativeErrno == Errors.ERRNO_ECONNRESET_NEGATIVE || negativeErrno == Errors.ERRNO_EPIPE_NEGATIVE
                || negativeErrno == ETIMEDOUT_NEGATIVE
                || negativeErrno == Errors.ERROR_EHOSTUNREACH_NEGATIVE || negativeErrno == Errors.ERROR_ENETUNREACH_NEGATIVE;
    }

    /** The NIO transport's words for the same, strerror's (it has no errno to look at). */
    private static boolean isPeerGoneMessage(String m) {
        return m != null && (m.contains("Connection reset") || m.contains("Broken pipe")
                || m.contains("Connection timed out") || m.contains("No route to host")
                || m.contains("Network is unreachable"));
    }
}
