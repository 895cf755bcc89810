package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleReply;
import java.util.List;

/**
 * One connection's reports to {@link NbdEvents}: when a request was taken up, and how it was
 * answered. What is measured: from the handler taking the decoded header up (a request held back
 * by flow control is not yet counted: that wait is the client's, for not reading its replies, or a
 * limit's, and both have gauges of their own) to its reply handed to the channel, queued and
 * flushed rather than taken by the kernel: knowing when the kernel took it would cost a listener
 * per request, and past the queue the time is the client's reading, not the server's work.
 *
 * <p>Cheap by construction: with {@link NbdEvents.Requests#NONE} nothing is timed (no clock
 * read); otherwise two clock reads and one call per request, no allocation here (the end reading
 * is passed on, so the binding need not read the clock again), and one call when the connection
 * closes, so a binding that keeps counts per connection can fold them. A report that
 * throws is dropped (logged once per connection), never the request. Event loop only.
 */
final class RequestReporter {
    private static final int READ = NbdCommand.READ.code();
    private static final int WRITE = NbdCommand.WRITE.code();
    private final NbdEvents events;
    private final NbdEvents.Requests requests;
    private final boolean timed;
    private boolean failed; // a report threw: said once, then quiet

    private RequestReporter(NbdEvents events, NbdEvents.Requests requests) {
        this.events = events;
        this.requests = requests;
        this.timed = requests != NbdEvents.Requests.NONE;
    }

    /** For a connection whose handshake chose {@code export}. */
    static RequestReporter of(NbdEvents events, String export) {
        NbdEvents.Requests requests;
        try {
            requests = events.connected(export);
        } catch (RuntimeException e) {
            logOnce(e);
            requests = NbdEvents.Requests.NONE;
        }
        return new RequestReporter(events, requests == null ? NbdEvents.Requests.NONE : requests);
    }

    /** The time a request is taken up at; 0 when nothing is timed. */
    long start() {
        return timed ? System.nanoTime() : 0;
    }

    /** {@code r} answered with {@code replies} (its outcome is the error among them, if any). */
    void answered(NbdRequest r, long started, List<Object> replies) {
        if (timed) {
            report(r, outcomeOf(replies), started);
        }
    }

    /** {@code r} refused with {@code error} before it reached the engine. */
    void refused(NbdRequest r, long started, NbdError error) {
        if (timed) {
            report(r, error, started);
        }
    }

    void malformed() {
        try {
            events.malformed();
        } catch (RuntimeException e) {
            failedOnce(e);
        }
    }

    private void report(NbdRequest r, NbdError outcome, long started) {
        NbdCommand c = r.command();
        // Codes, not the record's equals: that goes through an invokedynamic bootstrap whose
        // method-handle chain JFR shows on the event loop (a few % of its samples, all callers).
        int code = c.code();
        long in = code == WRITE ? r.length() : 0;
        long out = code == READ && !outcome.isError() ? r.length() : 0;
        long now = System.nanoTime();
        try {
            requests.answered(c, outcome, now - started, now, in, out);
        } catch (RuntimeException e) {
            failedOnce(e);
        }
    }

    /** The connection closed: after this, nothing more is reported (the binding may fold what it kept). */
    void closed() {
        if (timed) {
            try {
                requests.closed();
            } catch (RuntimeException e) {
                failedOnce(e);
            }
        }
    }

    /** The error a request's replies carry, else OK. Replies are few (one, or a READ's chunks). */
    static NbdError outcomeOf(List<Object> replies) {
        for (int i = 0, n = replies.size(); i < n; i++) {
            NbdError e = switch (replies.get(i)) {
                case NbdSimpleReply s -> s.error();
                case NbdReplyChunk.Error c -> c.error();
                case NbdReplyChunk.ErrorOffset c -> c.error();
                default -> NbdError.OK;
            };
            if (e.isError()) {
                return e;
            }
        }
        return NbdError.OK;
    }

    private void failedOnce(RuntimeException e) {
        if (!failed) {
            failed = true;
            logOnce(e);
        }
    }

    private static void logOnce(RuntimeException e) {
        System.getLogger(RequestReporter.class.getName()).log(System.Logger.Level.WARNING,
                "NBD metrics report failed; this connection's reports may be missing", e);
    }
}
