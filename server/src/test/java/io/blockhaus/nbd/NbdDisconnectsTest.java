package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way a connection in transmission ends is counted by its reason, and the ones the server
 * chooses on a fault are logged: a benchmark's fio once saw "Connection reset by peer" while the
 * server's log said nothing (docs/benchmarks/reset-2026-12-05.md). One test per reason here; the
 * payload stall, a reply the file can no longer fill and the idle timeout are asserted where
 * their own tests provoke them (NbdHostileInputTest, NbdSendfileTest, NbdClientLimitsTest).
 *
 * <p>And the bug the audit found: a store error on the event loop's no-wait READ path closed the
 * connection (the client saw a reset, the log nothing) instead of answering the READ with EIO.
 */
class NbdDisconnectsTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);
    private static final long SIZE = 1 << 20;

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger log = Logger.getLogger(Disconnects.class.getName());

    @BeforeEach
    void listen() {
        log.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        log.removeHandler(capture);
    }

    /**
     * A memory store whose no-wait read (the event loop's path for a small READ of absent pages)
     * fails with what {@code failure} gives, once; every other call is the memory store's.
     */
    static final class FailingOnceStore extends ForwardingStore {
        private final MemoryStore memory;
        private final AtomicReference<Supplier<? extends Throwable>> failure;

        FailingOnceStore(long size, Supplier<? extends Throwable> failure) {
            this(new MemoryStore(size), failure);
        }

        private FailingOnceStore(MemoryStore memory, Supplier<? extends Throwable> failure) {
            super(memory);
            this.memory = memory;
            this.failure = new AtomicReference<>(failure);
        }

        @Override
        public boolean readIfInMemory(long offset, ByteBuffer[] dsts) {
            Supplier<? extends Throwable> f = failure.getAndSet(null);
            if (f != null) {
                Throwable t = f.get();
                if (t instanceof RuntimeException e) {
                    throw e;
                }
                throw (Error) t;
            }
            return memory.readIfInMemory(offset, dsts);
        }
    }

    @Test
    void aStoreErrorOnTheEventLoopsReadPathIsAnsweredWithEioAndTheConnectionGoesOn() throws Exception {
        FailingOnceStore store = new FailingOnceStore(SIZE, () -> new ErrnoException(Errno.EIO, "injected media error"));
        try (NbdTestServer s = NbdTestServer.builder().volume(VolumeConfig.of("default"), store).start();
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            Result failed = c.read(0, 4096);
            assertThat(failed.error()).as("the READ is answered with the store's errno: %s", failed)
                    .isEqualTo(NbdError.EIO.code());
            assertThat(c.readOk(0, 4096)).as("and the connection goes on").isEqualTo(new byte[4096]);
            assertThat(s.server().disconnects().count(DisconnectReason.INTERNAL_ERROR)).isZero();
            assertThat(s.server().disconnects().count(DisconnectReason.CLIENT_CLOSED)).isZero();
        }
    }

    @Test
    void anErrorOnAWorkerIsAnsweredWithEioNotLeftHanging() throws Exception {
        ForwardingStore store = new ForwardingStore(new MemoryStore(SIZE)) {
            private final AtomicReference<String> failOnce = new AtomicReference<>("injected bug on a worker");

            @Override
            public void read(long offset, ByteBuffer dst) {
                failOnce();
                super.read(offset, dst);
            }

            @Override
            public void read(long offset, ByteBuffer[] dsts) {
                failOnce();
                super.read(offset, dsts);
            }

            private void failOnce() {
                String m = failOnce.getAndSet(null);
                if (m != null) {
                    throw new AssertionError(m);
                }
            }
        };
        try (NbdTestServer s = NbdTestServer.builder().volume(VolumeConfig.of("default"), store).start();
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            Result failed = c.read(0, 4096); // the store cannot read without waiting: a worker reads
            assertThat(failed.error()).as("answered: %s", failed).isEqualTo(NbdError.EIO.code());
            assertThat(c.readOk(0, 4096)).as("and the connection goes on").isEqualTo(new byte[4096]);
        }
    }

    @Test
    void anExceptionThatReachesTheHandlerClosesWithAReasonAndALogLine() throws Exception {
        FailingOnceStore store = new FailingOnceStore(SIZE, () -> new AssertionError("injected bug"));
        try (NbdTestServer s = NbdTestServer.builder().volume(VolumeConfig.of("default"), store).start();
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            c.send(0, NbdCommand.READ, 0, 4096, null);
            assertClosedFor(s, c, DisconnectReason.INTERNAL_ERROR);
            assertWarned("internal-error", "injected bug");
        }
    }

    @Test
    void aWrongRequestMagicClosesWithAReasonAndALogLine() throws Exception {
        try (NbdTestServer s = NbdTestServer.memory(SIZE);
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
            c.writeHeader(0x12560953, 7, 0, NbdCommand.READ.code(), 0, 512);
            c.flushOut();
            assertClosedFor(s, c, DisconnectReason.MALFORMED_REQUEST);
            assertWarned("malformed-request", "magic");
        }
    }

    @Test
    void aHandshakeTheProtocolCanOnlyEndIsCountedAndLogged() throws Exception {
        try (NbdTestServer s = NbdTestServer.memory(SIZE);
                NbdTestClient c = NbdTestClient.connect(s.port())) {
            c.clientFlags(NbdClientFlags.NO_ZEROES); // not fixed newstyle: the spec says disconnect
            assertClosedFor(s, c, DisconnectReason.HANDSHAKE_REFUSED);
            assertWarned("handshake-refused", "fixed newstyle");
        }
    }

    @Test
    void aClientThatLeavesDuringTheHandshakeIsCountedAndNotLogged() throws Exception {
        try (NbdTestServer s = NbdTestServer.memory(SIZE)) {
            try (NbdTestClient closes = NbdTestClient.connect(s.port())) {
                closes.clientFlags(NbdClientFlags.FIXED_NEWSTYLE); // then a plain close (FIN)
            }
            try (NbdTestClient resets = NbdTestClient.connect(s.port())) {
                resets.socket().setSoLinger(true, 0); // the close is a reset (ECONNRESET on the server's read)
            }
            try (NbdTestClient aborts = NbdTestClient.connect(s.port())) {
                aborts.clientFlags(NbdClientFlags.FIXED_NEWSTYLE);
                assertThat(aborts.option(NbdOption.ABORT.code(), new byte[0]).getLast().type())
                        .isEqualTo(NbdOptionReplyType.ACK.code());
                assertThat(aborts.awaitClosed(WITHIN)).isTrue();
            }
            Await.until("all three counted as leaving the handshake", WITHIN,
                    () -> s.server().disconnects().count(DisconnectReason.CLIENT_LEFT_HANDSHAKE) == 3);
            try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                assertThat(c.readOk(0, 4096)).as("a connection through the handshake is not counted there").hasSize(4096);
            }
            Await.until("and its end counted as transmission's", WITHIN,
                    () -> s.server().disconnects().count(DisconnectReason.CLIENT_CLOSED) == 1);
            for (DisconnectReason r : DisconnectReason.values()) {
                long expected = r == DisconnectReason.CLIENT_LEFT_HANDSHAKE ? 3 : r == DisconnectReason.CLIENT_CLOSED ? 1 : 0;
                assertThat(s.server().disconnects().count(r)).as(r.label()).isEqualTo(expected);
            }
            assertThat(logged).as("a client leaving the handshake is no news").isEmpty();
        }
    }

    @Test
    void aClientsDiscIsCountedAndNotLogged() throws Exception {
        try (NbdTestServer s = NbdTestServer.memory(SIZE);
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            assertThat(c.readOk(0, 4096)).hasSize(4096);
            c.disconnect();
            assertClosedFor(s, c, DisconnectReason.CLIENT_DISC);
            assertThat(logged).as("a client's goodbye is no news").isEmpty();
        }
    }

    @Test
    void aClientThatClosesIsCountedAndLoggedOnlyWithRequestsInFlight() throws Exception {
        try (NbdTestServer s = NbdTestServer.memory(SIZE)) {
            try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                assertThat(c.readOk(0, 4096)).hasSize(4096);
            }
            Await.until("a quiet close is counted", WITHIN,
                    () -> s.server().disconnects().count(DisconnectReason.CLIENT_CLOSED) == 1);
            assertThat(logged).as("nothing was left unanswered: nothing to say").isEmpty();
        }
        // A READ the store holds on a worker while the client goes away.
        NbdTransmissionHandlerFlowTest.GatedStore gated = new NbdTransmissionHandlerFlowTest.GatedStore(SIZE);
        try (NbdTestServer s = NbdTestServer.builder().volume(VolumeConfig.of("default"), gated).start()) {
            try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
                c.send(0, NbdCommand.READ, 0, 4096, null);
                Await.until("the READ is in the store", WITHIN, () -> gated.running() == 1);
            }
            Await.until("the close is counted", WITHIN,
                    () -> s.server().disconnects().count(DisconnectReason.CLIENT_CLOSED) == 1);
            gated.gate.countDown();
            assertThat(logged).as("a client gone with a request unanswered is logged").anySatisfy(r -> {
                assertThat(r.getLevel()).isEqualTo(Level.INFO);
                assertThat(r.getMessage()).contains("client-closed").contains("1 request(s) in flight");
            });
        }
    }

    @Test
    void connectionsOpenWhenTheServerStopsAreCountedAsSuch() throws Exception {
        NbdTestServer s = NbdTestServer.memory(SIZE);
        Disconnects disconnects = s.server().disconnects();
        try (NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            assertThat(c.readOk(0, 4096)).hasSize(4096);
            s.close();
            assertThat(c.awaitClosed(WITHIN)).isTrue();
        }
        assertThat(disconnects.count(DisconnectReason.SERVER_STOPPING)).isEqualTo(1);
        assertThat(disconnects.count(DisconnectReason.CLIENT_CLOSED)).isZero();
    }

    /** The server closes {@code c} and counts it once for {@code reason}. */
    private static void assertClosedFor(NbdTestServer s, NbdTestClient c, DisconnectReason reason) throws Exception {
        assertThat(c.awaitClosed(WITHIN)).as("the server closes the connection").isTrue();
        Await.until("the close is counted for " + reason.label(), WITHIN,
                () -> s.server().disconnects().count(reason) == 1);
    }

    private void assertWarned(String reason, String detail) {
        assertThat(logged).as("the operator is told why").anySatisfy(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.WARNING);
            assertThat(r.getMessage()).contains(reason).contains(detail);
        });
    }
}
