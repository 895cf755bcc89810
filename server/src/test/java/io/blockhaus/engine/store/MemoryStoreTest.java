package io.blockhaus.engine.store;

import io.blockhaus.engine.errno.Errno;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.blockhaus.engine.store.BackingStoreContractTest.assertErrno;
import static io.blockhaus.engine.store.BackingStoreContractTest.pattern;
import static io.blockhaus.engine.store.BackingStoreContractTest.read;
import static io.blockhaus.engine.store.BackingStoreContractTest.write;
import static org.assertj.core.api.Assertions.assertThat;

/** What only memory does: pay for written chunks only, any power-of-two alignment. */
class MemoryStoreTest {
    @Test
    void memoryIsUsedOnlyForWrittenChunksAndFreedWhenCovered() {
        try (MemoryStore s = new MemoryStore(1L << 40)) { // a terabyte costs nothing until written
            assertThat(s.allocatedBytes()).isZero();
            write(s, (1L << 39) + 4094, pattern(3, 1)); // straddles two chunks
            assertThat(s.allocatedBytes()).isEqualTo(2 * 4096);
            s.punchHole((1L << 39) + 4095, 1); // partial: zeroed, kept
            assertThat(s.allocatedBytes()).isEqualTo(2 * 4096);
            s.punchHole(1L << 38, 1L << 39); // covers both: freed, and fast over the holes
            assertThat(s.allocatedBytes()).isZero();
            s.zeroRange(0, 1L << 40);
            s.allocate(0, 1L << 40);
            assertThat(s.allocatedBytes()).isZero();
        }
    }

    @Test
    void truncateDropsChunksPastTheNewEnd() {
        try (MemoryStore s = new MemoryStore(16 * 4096)) {
            write(s, 0, pattern(16 * 4096, 2));
            s.truncate(4096);
            assertThat(s.allocatedBytes()).isEqualTo(4096);
            s.truncate(4095);
            s.truncate(16 * 4096);
            assertThat(read(s, 4095, 1)).isEqualTo(new byte[1]);
        }
    }

    @Test
    void alignmentIsConfigurableAndMustBeAPowerOfTwo() {
        try (MemoryStore s = new MemoryStore(8 * 512 + 7, 512)) {
            assertThat(s.blockAlignment()).isEqualTo(512);
            byte[] data = pattern(8 * 512 + 7, 3);
            write(s, 0, data);
            s.collapseRange(512, 1024);
            assertThat(s.size()).isEqualTo(6 * 512 + 7);
            assertThat(read(s, 512, 10)).isEqualTo(java.util.Arrays.copyOfRange(data, 1536, 1546));
            assertErrno(Errno.EINVAL, () -> s.insertRange(256, 512));
        }
        assertErrno(Errno.EINVAL, () -> new MemoryStore(4096, 3000));
        assertErrno(Errno.EINVAL, () -> new MemoryStore(-1));
    }

    @Test
    void smallAlignmentMatchesTheModelToo() {
        long seed = Long.getLong("store.seed", new Random().nextLong());
        System.out.println("MemoryStoreTest 512-byte alignment: -Dstore.seed=" + seed);
        try (MemoryStore s = new MemoryStore(16 * 512, 512)) {
            new RandomOps(seed, s).run(3000);
        }
    }
}
