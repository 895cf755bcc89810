package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;

/**
 * What the NBD server reports for metrics, so this package needs no metrics library: the
 * binding (io.blockhaus.metrics.frontend) implements it, {@link #NONE} records nothing. Every
 * call comes from an event loop, so implementations must not block, and on the request path they
 * should not allocate either (they run once per request). The server guards each call: an
 * implementation that throws loses its report, never a request.
 */
public interface NbdEvents {
    /** Records nothing (metrics off, tests). */
    NbdEvents NONE = new NbdEvents() {
        @Override
        public Requests connected(String export) {
            return Requests.NONE;
        }

        @Override
        public void malformed() {
        }
    };

    /**
     * A connection finished its handshake on {@code export}; its requests are reported to what
     * this returns. Once per connection (look-ups belong here, not per request).
     */
    Requests connected(String export);

    /**
     * A request refused as malformed: a header the decoder could not read (bad magic, absurd
     * length: the connection is closed) or a payload over the advertised maximum (answered EINVAL).
     */
    void malformed();

    /**
     * The requests of one connection (on its export). All calls come from the connection's event
     * loop, so an implementation may keep per-connection state without synchronisation.
     */
    interface Requests {
        Requests NONE = (command, outcome, nanos, endedAt, bytesIn, bytesOut) -> {
        };

        /**
         * One request answered: from its header taken up by the connection to its reply queued
         * on the channel (see {@code NbdTransmissionHandler}).
         *
         * @param nanos    how long it took
         * @param endedAt  the {@link System#nanoTime()} reading it ended at (read already: the
         *                 binding may use it rather than read the clock again)
         * @param outcome  {@link NbdError#OK} or the error sent
         * @param bytesIn  a WRITE's payload length, else 0
         * @param bytesOut a successful READ's length, else 0
         */
        void answered(NbdCommand command, NbdError outcome, long nanos, long endedAt, long bytesIn, long bytesOut);

        /** The connection closed: no request of it is reported after this (a binding folds what it kept). */
        default void closed() {
        }
    }
}
