package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three servers race open, renew, write, flush, resize, close and crash on one volume, each with its
 * own clocks (random offsets, rates off by up to 0.09 %), its own view of the bucket (which the
 * test cuts off and restores, or makes lose the answer of a create that landed), over a store whose clock has its own rate and one-second precision.
 * Time is one simulated timeline the test moves; every step is one server's call.
 *
 * <p>The invariant: a data request allowed by {@code beforeWrite()} may land any time within one
 * write window (request timeout + send slack, on its server's clock) after it; the windows of two
 * different tenures never overlap in true time. Also: epochs only grow, a tenure refused with EROFS
 * never writes again, a confirmed flush means no newer tenure exists yet, and every open sees the
 * last size recorded.
 *
 * <p>Random: prints its seed; replay with {@code -Downership.model.seed=N}; soak with
 * {@code -Downership.model.runs=N}.
 */
class OwnershipModelTest {
    private static final int RUNS = Integer.getInteger("ownership.model.runs", 150);
    private static final int STEPS = 400;
    private static final String ROOT = "m/vol/";
    private static final long NEVER_CREATED = -1;
    private static final boolean TRACE = Boolean.getBoolean("ownership.model.trace");

    /** One server's open of the volume: an owner's tenure or a read-only open. */
    private static final class Tenure {
        final int server;
        final OwnedVolume volume;
        final long epoch;
        final List<long[]> windows = new ArrayList<>();
        boolean refusedForGood;

        Tenure(int server, OwnedVolume volume) {
            this.server = server;
            this.volume = volume;
            this.epoch = volume.ownership() instanceof OwnerLease l ? l.epoch() : 0;
        }
    }

    private record Server(SimulatedTime.ServerClock clock, double rate, FlakyObjectStore store,
                          VolumeOwnerships ownerships) {
    }

    @Test
    void noTwoTenuresEverWriteAtTheSameTime() {
        // Thousands of opens and releases: keep INFO lines out of the report, WARNINGs (fencing) in.
        java.util.logging.Logger quiet = java.util.logging.Logger.getLogger("io.blockhaus.s3.ownership");
        java.util.logging.Level was = quiet.getLevel();
        quiet.setLevel(java.util.logging.Level.WARNING);
        try {
            model();
        } finally {
            quiet.setLevel(was);
        }
    }

    private void model() {
        String fixed = System.getProperty("ownership.model.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : new SplittableRandom().nextLong();
        System.out.println("[OwnershipModelTest] seed=" + seed + " (replay: -Downership.model.seed=" + seed + ")");
        int takeovers = 0;
        int fencings = 0;
        for (int run = 0; run < RUNS; run++) {
            int[] counts = run(new SplittableRandom(seed + run), "seed=" + seed + " run=" + run);
            takeovers += counts[0];
            fencings += counts[1];
        }
        System.out.println("[OwnershipModelTest] owner changes=" + takeovers + " fenced owners=" + fencings);
        assertThat(takeovers).as("the model must change owners").isPositive();
        assertThat(fencings).as("the model must fence owners whose lease expired").isPositive();
    }

    private static double drift(SplittableRandom rnd) {
        return 1 + (rnd.nextDouble() * 2 - 1) * LeaseTiming.DRIFT * 0.9;
    }

    private int[] run(SplittableRandom rnd, String label) {
        SimulatedTime time = new SimulatedTime();
        MemoryObjectStore bucket = new MemoryObjectStore(true,
                time.store(drift(rnd), Instant.parse("2026-12-05T12:00:00Z").plusMillis(rnd.nextLong(100_000_000))));
        Duration timeout = Duration.ofSeconds(1 + rnd.nextInt(5));
        Duration lease = OwnershipRequest.minimumLease(timeout).plusSeconds(rnd.nextInt(20));
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            double rate = drift(rnd);
            SimulatedTime.ServerClock clock = time.server(rate, rnd.nextLong() >> 8, rnd.nextLong(1L << 40), true);
            servers.add(new Server(clock, rate, new FlakyObjectStore(bucket), new VolumeOwnerships(clock, false)));
        }
        Tenure[] open = new Tenure[servers.size()];
        List<Tenure> tenures = new ArrayList<>();
        long expectedSize = NEVER_CREATED;
        // Sizes of resizes that failed: one may have landed (its answer lost), until the owner writes again.
        java.util.Set<Long> sizesIfLost = new java.util.HashSet<>();
        long highestEpoch = 0;
        int takeovers = 0;
        int fencings = 0;
        for (int step = 0; step < STEPS; step++) {
            int s = rnd.nextInt(servers.size());
            Server server = servers.get(s);
            Tenure t = open[s];
            String where = label + " step=" + step + " server=" + s;
            int op = rnd.nextInt(100);
            if (TRACE) {
                System.out.println(where + " op=" + op + " t=" + time.trueNanos() + " tenure=" + (t == null ? "-"
                        : t.epoch + (t.volume.ownership().readOnly() ? "ro" : "")) + " expected=" + expectedSize
                        + " ifLost=" + sizesIfLost + " manifests=" + bucket.keys());
            }
            try {
                if (op < 20) {
                    time.advance(Duration.ofMillis(rnd.nextLong(lease.toMillis() / 2)));
                } else if (op < 23) {
                    server.store().down = !server.store().down;
                } else if (op < 25) {
                    server.store().loseNextCreateAnswer = true; // the next create lands, its answer does not
                } else if (t == null) {
                    if (op < 60) {
                        boolean readOnly = expectedSize != NEVER_CREATED && rnd.nextInt(10) == 0;
                        OwnedVolume v = server.ownerships().open(server.store(), ROOT, new OwnershipRequest("s" + s,
                                OptionalLong.of(1L << 30), 1 << 22, 4096, readOnly, lease, false, timeout));
                        if (expectedSize == NEVER_CREATED) {
                            expectedSize = 1L << 30;
                        }
                        long known = expectedSize;
                        assertThat(v.geometry().size()).as(where + " size seen at open, known " + known + " or lost "
                                + sizesIfLost).matches(size -> size == known || sizesIfLost.contains(size));
                        if (!v.ownership().readOnly()) {
                            expectedSize = v.geometry().size(); // what the new owner knows and writes
                            sizesIfLost.clear();
                        }
                        Tenure n = new Tenure(s, v);
                        if (!v.ownership().readOnly()) {
                            assertThat(n.epoch).as(where + " epochs grow").isGreaterThan(highestEpoch);
                            if (highestEpoch > 0) {
                                takeovers++;
                            }
                            highestEpoch = n.epoch;
                        }
                        open[s] = n;
                        tenures.add(n);
                    }
                } else if (op < 55) {
                    t.volume.ownership().beforeWrite();
                    long now = time.trueNanos();
                    long window = (long) Math.ceil((timeout.toNanos() + LeaseTiming.SEND_SLACK.toNanos()) / server.rate());
                    assertThat(t.refusedForGood).as(where + " wrote after EROFS").isFalse();
                    for (Tenure other : tenures) {
                        if (other != t) {
                            for (long[] w : other.windows) {
                                assertThat(now > w[1] || now + window < w[0])
                                        .as(where + ": write window [" + now + ", " + (now + window) + "] of epoch "
                                                + t.epoch + " overlaps [" + w[0] + ", " + w[1] + "] of epoch " + other.epoch)
                                        .isTrue();
                            }
                        }
                    }
                    t.windows.add(new long[] {now, now + window});
                } else if (op < 65) {
                    t.volume.ownership().confirmDurable();
                    assertThat(t.epoch).as(where + " confirmed a flush after a newer tenure began").isEqualTo(highestEpoch);
                } else if (op < 80) {
                    if (t.volume.ownership() instanceof OwnerLease l) {
                        l.renewNow();
                        sizesIfLost.clear(); // the renewal wrote the size the owner knows
                    }
                } else if (op < 85) {
                    long size = (1L + rnd.nextInt(8)) << 28;
                    sizesIfLost.add(size);
                    t.volume.ownership().resize(size);
                    expectedSize = size;
                    sizesIfLost.clear();
                } else if (op < 95) {
                    t.volume.ownership().close();
                    open[s] = null;
                } else {
                    open[s] = null; // crash: no release, the lease must expire
                }
            } catch (ObjectStoreException e) {
                assertThat(server.store().down || e.getMessage().startsWith("answer lost"))
                        .as(where + " store failure only when cut off or an answer was lost: " + e).isTrue();
            } catch (ErrnoException e) {
                assertThat(e.errno()).as(where + " " + e.getMessage()).isIn(Errno.EROFS, Errno.EIO);
                if (e.errno() == Errno.EROFS && t != null) {
                    if (!t.refusedForGood && !t.volume.ownership().readOnly()) {
                        throw new AssertionError(where + " EROFS yet not read-only", e);
                    }
                    if (!t.refusedForGood && t.epoch > 0) {
                        fencings++;
                    }
                    t.refusedForGood = true;
                }
            }
        }
        return new int[] {takeovers, fencings};
    }
}
