package io.blockhaus.nbd;

import io.blockhaus.engine.PayloadPipe;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdTransmissionDecoder;

/**
 * Whether and how a WRITE's payload skips the JVM: taken from the socket into a kernel pipe
 * before the decoder reads it, then spliced by the engine into the volume's file. The
 * transmission handler asks this and nothing else about it; {@link WriteSplicer} does it where
 * the transport and store allow (an A/B keeps it: docs/benchmarks/splice-ab-2026-12-05.md),
 * {@link #OFF} never does.
 */
sealed interface PayloadSplicing permits WriteSplicer, PayloadSplicing.Off {
    PayloadSplicing OFF = new Off();

    /**
     * Called as each request starts. For a WRITE worth splicing whose payload is still unread, a
     * pipe holding as much of it as has arrived (the decoder is told those bytes are taken; the
     * rest, if any, comes through the decoder as payload chunks); null otherwise.
     */
    PayloadPipe start(NbdRequest r, NbdTransmissionDecoder decoder);

    /** Sets the size of the next socket read from what {@code receiving} still expects. */
    void beforeRead(PayloadReceiver receiving);

    /** Takes back a pipe the engine is done with. */
    void giveBack(PayloadPipe pipe);

    /** The connection closed: pipes are closed now or as they come back. */
    void close();

    /** Never splices: every payload comes through the decoder. */
    record Off() implements PayloadSplicing {
        @Override
        public PayloadPipe start(NbdRequest r, NbdTransmissionDecoder decoder) {
            return null;
        }

        @Override
        public void beforeRead(PayloadReceiver receiving) {
        }

        @Override
        public void giveBack(PayloadPipe pipe) {
            throw new IllegalStateException("no pipe was handed out");
        }

        @Override
        public void close() {
        }
    }
}
