package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.limits.CapturedLog;
import io.blockhaus.limits.RateLimitedLog;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** Counting is exact; the server's faults are logged at WARNING, rate-limited per reason; a client's goodbye only with work left unanswered. */
class DisconnectsTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void faultsAreLoggedOncePerIntervalAndSayWhatTheyLeftOut() {
        CapturedLog log = new CapturedLog();
        AtomicLong clock = new AtomicLong();
        Disconnects d = new Disconnects(new RateLimitedLog(log, 10 * SECOND, clock::get));
        for (int i = 0; i < 100; i++) {
            d.ended(DisconnectReason.MALFORMED_REQUEST, "client" + i, "request magic 0x1", 2);
        }
        d.ended(DisconnectReason.INTERNAL_ERROR, "c", "java.lang.IllegalStateException: x", 0);
        assertThat(d.count(DisconnectReason.MALFORMED_REQUEST)).isEqualTo(100);
        assertThat(d.count(DisconnectReason.INTERNAL_ERROR)).isEqualTo(1);
        assertThat(log.levels).containsOnly(Level.WARNING);
        assertThat(log.lines).containsExactly(
                "closing NBD connection client0 (malformed-request): request magic 0x1;"
                        + " 2 request(s) in flight left unanswered",
                "closing NBD connection c (internal-error): java.lang.IllegalStateException: x");

        clock.addAndGet(10 * SECOND);
        d.ended(DisconnectReason.MALFORMED_REQUEST, "client100", "request magic 0x1", 0);
        assertThat(log.lines).last().isEqualTo("closing NBD connection client100 (malformed-request):"
                + " request magic 0x1 (99 more NBD connections ended for malformed-request since the last line)");
    }

    @Test
    void aClientsGoodbyeIsCountedAndLoggedOnlyWithRequestsUnanswered() {
        CapturedLog log = new CapturedLog();
        Disconnects d = new Disconnects(new RateLimitedLog(log, 10 * SECOND, () -> 0));
        d.ended(DisconnectReason.CLIENT_DISC, "a", "NBD_CMD_DISC", 0);
        d.ended(DisconnectReason.CLIENT_CLOSED, "b", "the connection closed", 0);
        d.ended(DisconnectReason.SERVER_STOPPING, "c", "the connection closed", 3);
        d.ended(DisconnectReason.IDLE_TIMEOUT, "d", "sent no request for 1000 ms", 0);
        assertThat(log.lines).isEmpty();
        d.ended(DisconnectReason.CLIENT_CLOSED, "e", "java.io.IOException: Connection reset by peer", 3);
        assertThat(log.levels).containsExactly(Level.INFO);
        assertThat(log.lines).containsExactly("closing NBD connection e (client-closed): java.io.IOException:"
                + " Connection reset by peer; 3 request(s) in flight left unanswered");
        for (DisconnectReason r : List.of(DisconnectReason.CLIENT_DISC, DisconnectReason.SERVER_STOPPING,
                DisconnectReason.IDLE_TIMEOUT)) {
            assertThat(d.count(r)).as(r.label()).isEqualTo(1);
        }
        assertThat(d.count(DisconnectReason.CLIENT_CLOSED)).isEqualTo(2);
    }

    /**
     * A peer TCP gave up on is gone, not a server fault: a read that fails with ETIMEDOUT
     * (retransmissions or keepalive unanswered) or the ICMP errors the kernel reports instead
     * (EHOSTUNREACH, ENETUNREACH), like a reset or a broken pipe; as Netty's epoll transport
     * raises them (the errno negated, on a read, or as the cause of the closed channel a later
     * write fails with) and as the NIO transport words them. Anything else stays a fault.
     */
    @Test
    void aPeerThatResetOrThatTcpGaveUpOnIsGoneAnythingElseIsAFault() {
        assumeTrue(Epoll.isAvailable(), "Netty's epoll transport (and its errno constants) need Linux: skipped");
        int etimedout = -110;
        for (int errno : new int[] {etimedout, Errors.ERROR_EHOSTUNREACH_NEGATIVE, Errors.ERROR_ENETUNREACH_NEGATIVE,
                Errors.ERRNO_EPIPE_NEGATIVE, Errors.ERRNO_ECONNRESET_NEGATIVE}) {
            Errors.NativeIoException read = Errors.newConnectionResetException("read", errno);
            assertThat(Disconnects.clientGone(read)).as("%s", read).isTrue();
            ClosedChannelException afterClose = new ClosedChannelException();
            afterClose.initCause(Errors.newIOException("writev", errno));
            assertThat(Disconnects.clientGone(afterClose)).as("a write after Netty closed on %s", afterClose.getCause()).isTrue();
        }
        assertThat(Errors.newConnectionResetException("read", etimedout).getMessage()).endsWith("Connection timed out");
        for (int errno : new int[] {-5 /* EIO */, -28 /* ENOSPC */, -12 /* ENOMEM */, -14 /* EFAULT */}) {
            Errors.NativeIoException e = Errors.newIOException("sendfile", errno);
            assertThat(Disconnects.clientGone(e)).as("%s", e).isFalse();
        }
    }

    @Test
    void theNioTransportsWordsForAGonePeerAreReadToo() {
        for (String m : List.of("Connection reset by peer", "Broken pipe", "Connection timed out",
                "No route to host", "Network is unreachable")) {
            assertThat(Disconnects.clientGone(new IOException(m))).as(m).isTrue();
        }
        assertThat(Disconnects.clientGone(new ClosedChannelException())).isTrue();
        assertThat(Disconnects.clientGone(new IOException("Input/output error"))).isFalse();
        assertThat(Disconnects.clientGone(new IllegalStateException("Connection timed out"))).as("not an I/O error").isFalse();
    }
}
