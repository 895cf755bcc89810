package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.nbd.NbdTestClient.Mode;
import io.blockhaus.nbd.codec.NbdCommand;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Memory a client can make the server hold is bounded server-wide (issue 11, item 2): 64 clients
 * each send sixteen 32 MiB READs of a memory export (so every reply is a buffer the server fills)
 * and never read a reply. Replies hold their bytes of the payload budget until the kernel has
 * taken them, so those stuck in the server count, and the budget (64 MiB here, 1 GiB by default)
 * is never passed; and since every connection keeps its share of it, a well-behaved client on
 * the same server is answered within 2 s throughout. Closing the hostile connections gives every
 * byte back.
 */
class NbdHostileReadersTest {
    private static final int HOSTILE = 64;
    private static final int READS_EACH = 16;
    private static final int READ = 32 << 20;
    private static final long BUDGET = 64L << 20;

    @Test
    void sixtyFourClientsThatNeverReadTheirRepliesStayInsideTheBudgetAndAWellBehavedClientIsServed() throws Exception {
        NbdServerConfig d = NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0));
        // 80 connection slots: a share of 400 KiB each, and a pool of 32.75 MiB, one 32 MiB READ.
        NbdServerConfig config = new NbdServerConfig(d.listen(), 80, d.handshakeTimeout(), d.payloadStallTimeout(),
                d.maxPayload(), d.maxInflightRequests(), d.maxInflightBytes(), BUDGET, d.workerThreads(),
                d.spliceWrites(), d.eventLoops(), d.copyLoopbackReads());
        try (NbdTestServer s = new NbdTestServer(EngineConfig.withCache(8L << 20), config,
                List.of(VolumeConfig.of("default")), List.of(new MemoryStore(64L << 20)));
                NbdTestClient good = NbdTestClient.open(s.port(), Mode.SIMPLE)) {
            AtomicLong highest = new AtomicLong();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().start(() -> {
                while (sampling.get()) {
                    highest.accumulateAndGet(s.server().payloadBytesInFlight(), Math::max);
                    Thread.onSpinWait();
                }
            });
            List<NbdTestClient> hostile = new ArrayList<>();
            try {
                for (int i = 0; i < HOSTILE; i++) {
                    NbdTestClient c = NbdTestClient.open(s.port(), Mode.SIMPLE);
                    hostile.add(c);
                    for (int k = 0; k < READS_EACH; k++) {
                        c.send(0, NbdCommand.READ, (long) (k % 2) * READ, READ, null);
                    }
                }
                // The budget's pool is held by replies nobody reads, and connections wait for it.
                Await.until("hostile READs fill the budget's pool", Duration.ofSeconds(30),
                        () -> s.server().connectionsWaitingForBudget() > 0);
                long worst = 0;
                for (int i = 0; i < 50; i++) {
                    long t0 = System.nanoTime();
                    int len = i % 2 == 0 ? 4096 : 64 * 1024;
                    assertThat(good.readOk((long) i * 65536, len)).hasSize(len);
                    worst = Math.max(worst, System.nanoTime() - t0);
                }
                System.out.printf("hostile readers: worst well-behaved READ %.1f ms, budget at most %d of %d bytes%n",
                        worst / 1e6, s.server().payloadBytesPeak(), BUDGET);
                assertThat(worst).as("the well-behaved client's worst READ, in ns").isLessThan(2_000_000_000L);
                assertThat(s.server().connectionsWaitingForBudget()).as("still under attack meanwhile").isPositive();
            } finally {
                hostile.forEach(NbdTestClient::close);
                sampling.set(false);
                sampler.join();
            }
            assertThat(highest.get()).as("bytes held, sampled").isLessThanOrEqualTo(BUDGET);
            assertThat(s.server().payloadBytesPeak()).as("bytes held, at most ever").isLessThanOrEqualTo(BUDGET)
                    .as("the replies stuck in the server are counted").isGreaterThanOrEqualTo(READ);
            Await.until("closed connections give every byte back", Duration.ofSeconds(30),
                    () -> s.server().payloadBytesInFlight() == 0);
            assertThat(good.readOk(0, 4096)).hasSize(4096);
        }
    }
}
