package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.Extent;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.NbdTestClient.Result;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Per-connection flow control. The bound on requests in flight: with maxInflightRequests = 4 and a
 * backing store whose reads block on a latch, a client pipelining 64 READs gets exactly 4 of them
 * into the engine at once; the rest wait (the server stops reading the socket) and are all
 * answered once the store lets go. The bound on queued replies: a client that sends READs and
 * does not read the answers stops the server starting them once the replies back up. The
 * server-wide payload budget: two connections together get no more into the engine than it allows.
 */
class NbdTransmissionHandlerFlowTest {
    private static final int BOUND = 4;
    private static final int REQUESTS = 64;

    /** A memory store whose reads wait for {@code gate} and are counted while they run. */
    static final class GatedStore implements BackingStore {
        final MemoryStore delegate;
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();

        synchronized int running() {
            return running.get();
        }

        synchronized int maxRunning() {
            return maxRunning.get();
        }

        GatedStore(long size) {
            delegate = new MemoryStore(size);
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            synchronized (this) { // so a reader of both counters never sees one without the other
                maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                reads.incrementAndGet();
            }
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("gate never opened");
                }
                delegate.read(offset, dst);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                synchronized (this) {
                    running.decrementAndGet();
                }
            }
        }

        @Override
        public long size() {
            return delegate.size();
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            delegate.write(offset, src);
        }

        @Override
        public void punchHole(long offset, long length) {
            delegate.punchHole(offset, length);
        }

        @Override
        public void zeroRange(long offset, long length) {
            delegate.zeroRange(offset, length);
        }

        @Override
        public void allocate(long offset, long length) {
            delegate.allocate(offset, length);
        }

        @Override
        public void collapseRange(long offset, long length) {
            delegate.collapseRange(offset, length);
        }

        @Override
        public void insertRange(long offset, long length) {
            delegate.insertRange(offset, length);
        }

        @Override
        public void truncate(long newSize) {
            delegate.truncate(newSize);
        }

        @Override
        public void force() {
            delegate.force();
        }

        @Override
        public List<Extent> extents(long offset, long length, int maxExtents) {
            return delegate.extents(offset, length, maxExtents);
        }

        @Override
        public int blockAlignment() {
            return delegate.blockAlignment();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @Test
    void inflightRequestsNeverExceedTheBoundAndAllAreAnswered() throws Exception {
        GatedStore store = new GatedStore(16L << 20);
        NbdServerConfig config = NbdTestServer.config(16, Duration.ofSeconds(30), BOUND);
        try (NbdTestServer s = new NbdTestServer(EngineConfig.withCache(8L << 20), config,
                List.of(VolumeConfig.of("default").withIo(IoMode.DIRECT)), List.of(store));
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            try {
                pipelineAgainstTheGate(store, c);
            } finally {
                store.gate.countDown(); // never leave workers parked on a failed test
            }
        }
    }

    @Test
    void aClientThatReadsNoRepliesStopsTheServerStartingItsRequests() throws Exception {
        int reads = 400;
        int length = 256 * 1024; // 100 MiB of replies in all
        GatedStore store = new GatedStore(64L << 20);
        store.gate.countDown(); // reads go straight through; only the client holds things up
        NbdServerConfig d = NbdTestServer.config();
        NbdServerConfig config = new NbdServerConfig(d.listen(), 16, Duration.ofSeconds(30), d.payloadStallTimeout(), 1 << 20, 128,
                4L << 20, d.maxServerInflightBytes(), d.workerThreads(), d.spliceWrites(), d.eventLoops(), d.copyLoopbackReads());
        try (NbdTestServer s = new NbdTestServer(EngineConfig.withCache(8L << 20), config,
                List.of(VolumeConfig.of("default").withIo(IoMode.DIRECT)), List.of(store));
                NbdTestClient c = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            List<Long> cookies = new ArrayList<>();
            for (int i = 0; i < reads; i++) {
                // DF: one data chunk each (without it, reads of the empty volume come back as holes)
                cookies.add(c.send(NbdCommandFlags.DF, NbdCommand.READ, (long) (i % 256) * length, length, null));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (s.server().connectionsWaitingForClient() == 0) {
                assertThat(System.nanoTime()).as("waiting for the server to stop on the unread replies ").isLessThan(deadline);
                Thread.yield();
            }
            // Started so far: the replies the socket buffers hold (a few MiB each way on loopback),
            // the 4 MiB queue past them and at most 4 MiB more in flight: 46 (11.5 MiB) here.
            // Without the bound all 400 are read and their 100 MiB queued in the server (187 had
            // started when the first reply backed up, in a run with the check removed).
            int started = store.reads.get();
            assertThat(started).as("READs started while the client read nothing").isLessThanOrEqualTo(120);

            Map<Long, Result> results = c.awaitAll(cookies);
            assertThat(results).hasSize(reads).allSatisfy((k, r) -> assertThat(r.ok()).isTrue());
            assertThat(store.reads.get()).isGreaterThanOrEqualTo(reads);
            assertThat(s.server().connectionsWaitingForClient()).isZero();
            assertThat(c.read(0, 512).ok()).as("the connection is in step afterwards").isTrue();
        }
    }

    @Test
    void theServerWideBudgetBoundsPayloadInFlightOverAllConnections() throws Exception {
        int length = 256 * 1024;
        int perConnection = 8;
        GatedStore store = new GatedStore(16L << 20);
        NbdServerConfig d = NbdTestServer.config();
        // Each connection alone may have 4 READs of 256 KiB in flight (1 MiB); all together, 1 MiB:
        // over 2 connection slots, a share of 256 KiB each and a shared pool of 512 KiB.
        NbdServerConfig config = new NbdServerConfig(d.listen(), 2, Duration.ofSeconds(30), d.payloadStallTimeout(), length, 128,
                1L << 20, 1L << 20, d.workerThreads(), d.spliceWrites(), d.eventLoops(), d.copyLoopbackReads());
        try (NbdTestServer s = new NbdTestServer(EngineConfig.withCache(8L << 20), config,
                List.of(VolumeConfig.of("default").withIo(IoMode.DIRECT)), List.of(store));
                NbdTestClient a = NbdTestClient.open(s.port(), Mode.STRUCTURED);
                NbdTestClient b = NbdTestClient.open(s.port(), Mode.STRUCTURED)) {
            try {
                List<Long> fromA = new ArrayList<>();
                List<Long> fromB = new ArrayList<>();
                for (int i = 0; i < perConnection; i++) {
                    fromA.add(a.send(NbdCommandFlags.DF, NbdCommand.READ, (long) i * length, length, null));
                    fromB.add(b.send(NbdCommandFlags.DF, NbdCommand.READ, (long) (i + 8) * length, length, null));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                // The budget is full (4 READs parked in the store) and a connection waits for it.
                while (store.running() < 4 || s.server().connectionsWaitingForBudget() == 0) {
                    assertThat(System.nanoTime()).as("waiting for the budget to fill").isLessThan(deadline);
                    Thread.yield();
                }
                assertThat(store.maxRunning()).as("READs in the store at once, both connections together").isEqualTo(4);
                store.gate.countDown();
                Map<Long, Result> ra = a.awaitAll(fromA);
                Map<Long, Result> rb = b.awaitAll(fromB);
                assertThat(ra).hasSize(perConnection).allSatisfy((k, r) -> assertThat(r.ok()).isTrue());
                assertThat(rb).hasSize(perConnection).allSatisfy((k, r) -> assertThat(r.ok()).isTrue());
                assertThat(store.maxRunning()).isLessThanOrEqualTo(4);
                assertThat(s.server().payloadBytesPeak()).as("never past the limit").isLessThanOrEqualTo(1L << 20);
                assertThat(s.server().connectionsWaitingForBudget()).isZero();
                assertThat(a.read(0, 512).ok()).isTrue();
                assertThat(b.read(0, 512).ok()).isTrue();
            } finally {
                store.gate.countDown();
            }
        }
    }

    private static void pipelineAgainstTheGate(GatedStore store, NbdTestClient c) throws Exception {
        {
            List<Long> cookies = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                cookies.add(c.send(0, NbdCommand.READ, i * 65536L, 4096, null));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (store.running() < BOUND) {
                assertThat(System.nanoTime()).as("waiting for %d reads to reach the store", BOUND).isLessThan(deadline);
                Thread.yield();
            }
            // Blocked at the bound: nothing answered yet, and no fifth request reached the engine.
            assertThat(c.socket().getInputStream().available()).isZero();
            assertThat(store.maxRunning()).isEqualTo(BOUND);

            store.gate.countDown();
            Map<Long, Result> results = c.awaitAll(cookies);
            assertThat(results).hasSize(REQUESTS).allSatisfy((k, r) -> assertThat(r.ok()).isTrue());
            assertThat(store.maxRunning()).as("most store reads at once").isLessThanOrEqualTo(BOUND);
            assertThat(store.reads.get()).isGreaterThanOrEqualTo(REQUESTS);
            // The connection is in step afterwards.
            assertThat(c.read(0, 512).ok()).isTrue();
        }
    }
}
