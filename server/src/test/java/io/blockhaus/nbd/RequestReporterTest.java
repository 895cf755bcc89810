package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdReplyChunk;
import io.blockhaus.nbd.codec.NbdRequest;
import io.blockhaus.nbd.codec.NbdSimpleReply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestReporterTest {
    private static final NbdRequest READ = new NbdRequest(new NbdCommandFlags(0), NbdCommand.READ, 7, 0, 4096, false, false);
    private static final NbdRequest WRITE = new NbdRequest(new NbdCommandFlags(0), NbdCommand.WRITE, 8, 0, 512, false, true);

    private record Report(NbdCommand command, NbdError outcome, long bytesIn, long bytesOut) {
    }

    @Test
    void theOutcomeIsTheErrorAmongTheReplies() {
        assertThat(RequestReporter.outcomeOf(List.of(NbdSimpleReply.of(NbdError.OK, 1)))).isEqualTo(NbdError.OK);
        assertThat(RequestReporter.outcomeOf(List.of(NbdSimpleReply.of(NbdError.ENOSPC, 1)))).isEqualTo(NbdError.ENOSPC);
        assertThat(RequestReporter.outcomeOf(List.of(new NbdReplyChunk.None(1, 0),
                new NbdReplyChunk.Error(1, 0, true, NbdError.EIO, "bad sector")))).isEqualTo(NbdError.EIO);
        assertThat(RequestReporter.outcomeOf(List.of())).isEqualTo(NbdError.OK);
    }

    @Test
    void reportsBytesByDirectionOnlyForWhatMoved() {
        List<Report> reports = new ArrayList<>();
        long[] started = new long[1];
        RequestReporter r = RequestReporter.of(events(name -> (c, o, nanos, endedAt, in, out) -> {
            assertThat(nanos).isNotNegative();
            assertThat(endedAt - nanos).isEqualTo(started[0]); // the end time given is the one the latency was taken from
            reports.add(new Report(c, o, in, out));
        }), "v");
        started[0] = r.start();
        assertThat(started[0]).isNotZero();
        r.answered(READ, started[0], List.of(NbdSimpleReply.of(NbdError.OK, 7)));
        r.answered(READ, started[0], List.of(NbdSimpleReply.of(NbdError.EIO, 7)));
        r.refused(WRITE, started[0], NbdError.EPERM);
        assertThat(reports).containsExactly(new Report(NbdCommand.READ, NbdError.OK, 0, 4096),
                new Report(NbdCommand.READ, NbdError.EIO, 0, 0), new Report(NbdCommand.WRITE, NbdError.EPERM, 512, 0));
    }

    @Test
    void aThrowingBindingLosesItsReportsNeverTheRequest() {
        RequestReporter throwing = RequestReporter.of(events(name -> (c, o, nanos, endedAt, in, out) -> {
            throw new IllegalStateException("metrics bug");
        }), "v");
        throwing.answered(READ, throwing.start(), List.of(NbdSimpleReply.of(NbdError.OK, 7)));
        throwing.malformed();
        RequestReporter notConnected = RequestReporter.of(events(name -> {
            throw new IllegalStateException("metrics bug");
        }), "v");
        assertThat(notConnected.start()).isZero(); // nothing timed once the binding failed to connect
        notConnected.answered(READ, 0, List.of(NbdSimpleReply.of(NbdError.OK, 7)));
    }

    @Test
    void theBindingHearsOfTheClose() {
        int[] closes = new int[1];
        RequestReporter r = RequestReporter.of(events(name -> new NbdEvents.Requests() {
            @Override
            public void answered(NbdCommand c, NbdError o, long nanos, long endedAt, long in, long out) {
            }

            @Override
            public void closed() {
                closes[0]++;
            }
        }), "v");
        r.closed();
        assertThat(closes[0]).isEqualTo(1);
        RequestReporter.of(NbdEvents.NONE, "v").closed(); // metrics off: nothing to tell
    }

    @Test
    void metricsOffReadsNoClock() {
        assertThat(RequestReporter.of(NbdEvents.NONE, "v").start()).isZero();
    }

    private static NbdEvents events(java.util.function.Function<String, NbdEvents.Requests> connected) {
        return new NbdEvents() {
            @Override
            public Requests connected(String export) {
                return connected.apply(export);
            }

            @Override
            public void malformed() {
                throw new IllegalStateException("metrics bug");
            }
        };
    }
}
