package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShutdownTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Shutdown shutdown = new Shutdown(new PrintWriter(out), new PrintWriter(err));
    private final List<String> closed = new ArrayList<>();

    @Test
    void closesNewestFirstAndOnlyOnce() {
        shutdown.register("engine", () -> closed.add("engine"));
        shutdown.register("volumes", () -> closed.add("volumes"));
        assertThat(shutdown.closeAll()).isTrue();
        assertThat(shutdown.closeAll()).isTrue();
        assertThat(closed).containsExactly("volumes", "engine");
        assertThat(err.toString()).isEmpty();
        assertThatThrownBy(() -> shutdown.register("late", () -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFailureIsReportedAndTheRestStillClose() {
        shutdown.register("engine", () -> closed.add("engine"));
        shutdown.register("the volumes", () -> {
            throw new IllegalStateException("EIO writing back page 7\nmore detail");
        });
        assertThat(shutdown.closeAll()).isFalse();
        assertThat(shutdown.closeAll()).isFalse();
        assertThat(closed).containsExactly("engine");
        assertThat(err.toString()).isEqualTo("blockhaus: error closing the volumes: EIO writing back page 7"
                + System.lineSeparator());
    }

    @Test
    void aStopRequestFromAnotherThreadWakesTheWaiterAndTheFirstReasonWins() throws InterruptedException {
        assertThat(shutdown.stopRequested()).isFalse();
        Thread signal = Thread.ofPlatform().start(() -> shutdown.requestStop("SIGTERM"));
        assertThat(shutdown.awaitStop()).isEqualTo("SIGTERM");
        signal.join();
        shutdown.requestStop("SIGINT");
        assertThat(shutdown.awaitStop()).isEqualTo("SIGTERM");
        assertThat(shutdown.stopRequested()).isTrue();
        assertThat(out.toString()).contains("SIGINT received while stopping");
    }

    @Test
    void anInterruptCountsAsAStopRequest() {
        Thread.currentThread().interrupt();
        try {
            assertThat(shutdown.awaitStop()).isEqualTo("interrupt");
        } finally {
            assertThat(Thread.interrupted()).isTrue();
        }
    }
}
