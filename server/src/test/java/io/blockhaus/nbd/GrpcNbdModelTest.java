package io.blockhaus.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.grpc.FixedCatalog;
import io.blockhaus.grpc.GrpcServer;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model-based random test over both front ends: two gRPC handles (through the client library)
 * and one NBD connection on one volume, each running operations of every kind that does not change
 * the size (buffered, direct and FUA writes, write faults through a mapping, buffered and direct
 * reads, punch, zero, fadvise, flush, block status, loads and stores through mappings; NBD
 * WRITE, READ, TRIM, WRITE_ZEROES, CACHE, FLUSH), checked against a byte array after every
 * operation. The cache is smaller than the volume, so pages are evicted and written back under
 * the test. Each handle maps the same range (one writable, one read-only), and a quarter of the
 * operations are aimed at it, so loads check that every completed operation of every kind, from
 * either protocol, was recalled from the other region's local copies before it returned.
 *
 * <p>Not in it: size changes (an NBD client keeps the size of its handshake).
 *
 * <p>Seed: printed; replay with {@code -Dblockhaus.seed=N}; length with {@code -Dblockhaus.ops=N}.
 */
class GrpcNbdModelTest {
    private static final int SIZE = 2 << 20;
    private static final int PAGE = 4096;
    /** The mapped range: 32 pages, inside each handle's quota of pinned pages (a quarter of the 1 MiB cache). */
    private static final int MAP_AT = SIZE / 2;
    private static final int MAP_LEN = 128 << 10;

    @Test
    void twoGrpcHandlesAndAnNbdConnectionAgreeWithAByteArray() throws Exception {
        long seed = Long.getLong("blockhaus.seed", System.nanoTime());
        int ops = Integer.getInteger("blockhaus.ops", 20_000);
        System.out.println("GrpcNbdModelTest seed " + seed + " (replay: -Dblockhaus.seed=" + seed + ")");
        Random rnd = new Random(seed);
        byte[] model = new byte[SIZE];
        int[] counts = new int[19];
        try (Engine engine = new Engine(EngineConfig.withCache(1 << 20))) {
            LockStatsBook stats = new LockStatsBook();
            Volume v = engine.open(VolumeConfig.of("m"), new MemoryStore(SIZE), stats.recorderFor("m"));
            try (NbdServer nbd = NbdServer.start(NbdServerConfig.defaults(new InetSocketAddress("127.0.0.1", 0)),
                    NbdExports.of(List.of(v)));
                    GrpcServer grpc = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0),
                            new FixedCatalog(List.of(v), stats), 4);
                    BlockhausClient client = BlockhausClient.connect("127.0.0.1:" + grpc.address().getPort());
                    VolumeHandle a = client.open("m");
                    VolumeHandle b = client.open("m");
                    NbdTestClient n = NbdTestClient.open(nbd.address().getPort(), NbdTestClient.Mode.STRUCTURED, "m")) {
                MappedRegion mapped = b.map(MAP_AT, MAP_LEN, true);
                MappedRegion loadOnly = a.map(MAP_AT, MAP_LEN, false);
                for (int i = 0; i < ops; i++) {
                    int op = rnd.nextInt(counts.length);
                    counts[op]++;
                    VolumeHandle h = rnd.nextBoolean() ? a : b;
                    int l = rnd.nextInt(100) == 0 ? (1 << 20) + rnd.nextInt(300_000) : 1 + rnd.nextInt(rnd.nextBoolean() ? 512 : 40_000);
                    l = Math.min(l, SIZE);
                    int o = rnd.nextInt(4) == 0 && l < MAP_LEN // aimed at the mapped range
                            ? Math.max(0, MAP_AT - l / 2 + rnd.nextInt(MAP_LEN)) : rnd.nextInt(SIZE - l + 1);
                    o = Math.min(o, SIZE - l);
                    if (rnd.nextInt(4) == 0) { // aligned, as file systems mostly send
                        l = Math.max(PAGE, l / PAGE * PAGE);
                        o = Math.min(o / PAGE * PAGE, SIZE - l);
                    }
                    final int off = o;
                    final int len = l;
                    String what = "op " + i + " kind " + op + " at " + off + "+" + len + " (seed " + seed + ")";
                    switch (op) {
                        case 0, 1 -> write(model, rnd, off, len, bytes -> h.write(off, ByteBuffer.wrap(bytes), rnd.nextInt(8) == 0), off);
                        case 2 -> write(model, rnd, off, len, bytes -> h.writeDirect(off, ByteBuffer.wrap(bytes), rnd.nextBoolean()), off);
                        case 3, 4 -> assertThat(h.read(off, len).array()).as(what).isEqualTo(Arrays.copyOfRange(model, off, off + len));
                        case 5 -> assertThat(h.readDirect(off, len).array()).as(what).isEqualTo(Arrays.copyOfRange(model, off, off + len));
                        case 6 -> {
                            h.fallocate(Types.FallocateMode.PUNCH_HOLE, off, len);
                            Arrays.fill(model, off, off + len, (byte) 0);
                        }
                        case 7 -> {
                            h.fallocate(Types.FallocateMode.ZERO_RANGE, off, len);
                            Arrays.fill(model, off, off + len, (byte) 0);
                        }
                        case 8 -> h.fadvise(Types.Advice.values()[rnd.nextInt(Types.Advice.values().length)], off, len);
                        case 9 -> {
                            if (rnd.nextBoolean()) {
                                h.flush();
                            } else {
                                h.flush(off, len);
                            }
                        }
                        case 10 -> {
                            for (Types.Extent e : h.blockStatus(off, len)) {
                                if (e.zero()) {
                                    byte[] zeroes = new byte[(int) e.length()];
                                    assertThat(Arrays.copyOfRange(model, (int) e.offset(), (int) (e.offset() + e.length())))
                                            .as(what + ": extent " + e + " says zero").isEqualTo(zeroes);
                                }
                            }
                        }
                        case 11 -> { // a write fault through the mapping (write-through, inside one page)
                            long inMap = rnd.nextInt(MAP_LEN);
                            int room = (int) Math.min(PAGE - inMap % PAGE, 1 + rnd.nextInt(PAGE));
                            byte[] bytes = new byte[room];
                            rnd.nextBytes(bytes);
                            mapped.put(inMap, ByteBuffer.wrap(bytes));
                            System.arraycopy(bytes, 0, model, (int) (MAP_AT + inMap), room);
                        }
                        case 18 -> { // a load through either region, served from its local copies where it has them
                            MappedRegion r = rnd.nextBoolean() ? mapped : loadOnly;
                            int k = 1 + rnd.nextInt(3 * PAGE);
                            int at = rnd.nextInt(MAP_LEN - k + 1);
                            ByteBuffer got = ByteBuffer.allocate(k);
                            r.get(at, got);
                            assertThat(got.array()).as(what + ": load " + at + "+" + k + " from " + r.name())
                                    .isEqualTo(Arrays.copyOfRange(model, MAP_AT + at, MAP_AT + at + k));
                        }
                        case 12, 13 -> write(model, rnd, off, len, bytes -> n.writeOk(off, bytes), off);
                        case 14 -> assertThat(n.readOk(off, len)).as(what).isEqualTo(Arrays.copyOfRange(model, off, off + len));
                        case 15 -> {
                            assertThat(n.trim(off, len).ok()).as(what).isTrue();
                            Arrays.fill(model, off, off + len, (byte) 0);
                        }
                        case 16 -> {
                            assertThat(n.writeZeroes(off, len, rnd.nextBoolean() ? NbdCommandFlags.NO_HOLE : 0).ok()).as(what).isTrue();
                            Arrays.fill(model, off, off + len, (byte) 0);
                        }
                        case 17 -> assertThat((rnd.nextBoolean() ? n.cache(off, len) : n.flush()).ok()).as(what).isTrue();
                        default -> throw new AssertionError(op);
                    }
                }
                // Everything, once more, through every path.
                assertThat(a.readDirect(0, SIZE).array()).isEqualTo(model);
                assertThat(n.readOk(0, 1 << 20)).isEqualTo(Arrays.copyOf(model, 1 << 20));
                assertThat(b.read(0, SIZE).array()).isEqualTo(model);
                ByteBuffer whole = ByteBuffer.allocate(MAP_LEN);
                loadOnly.get(0, whole);
                assertThat(whole.array()).isEqualTo(Arrays.copyOfRange(model, MAP_AT, MAP_AT + MAP_LEN));
                assertThat(mapped.remaps() + loadOnly.remaps()).as("every recall was acknowledged in time").isZero();
            }
        }
        System.out.println("GrpcNbdModelTest ops by kind " + Arrays.toString(counts));
        assertThat(Arrays.stream(counts).min().orElseThrow()).as("every kind ran").isPositive();
    }


    @FunctionalInterface
    private interface Writer {
        void write(byte[] bytes) throws Exception;
    }

    private static void write(byte[] model, Random rnd, int off, int len, Writer w, int at) throws Exception {
        byte[] bytes = new byte[len];
        if (rnd.nextInt(5) == 0) {
            Arrays.fill(bytes, (byte) rnd.nextInt(256)); // runs of one byte, zeroes among them
        } else {
            rnd.nextBytes(bytes);
        }
        w.write(bytes);
        System.arraycopy(bytes, 0, model, at, len);
    }
}
