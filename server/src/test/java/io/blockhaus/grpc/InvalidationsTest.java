package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.proto.v1.Invalidation;
import org.junit.jupiter.api.Test;

class InvalidationsTest {

    private static Invalidation inv(String m, long off, long len, long seq) {
        return Invalidation.newBuilder().setMapping(m).setOffset(off).setLength(len).setSequence(seq).build();
    }

    @Test
    void adjacentPagesOfOneMappingBecomeOneRange() {
        Invalidations q = new Invalidations();
        for (int p = 0; p < 100; p++) {
            q.add("a", 1 << 20, p * 4096L, 4096);
        }
        q.add("b", 1 << 20, 0, 4096);
        q.add("a", 1 << 20, 200 * 4096L, 4096);
        // An extended range carries the newest number of the pages in it.
        assertThat(q.poll()).isEqualTo(inv("a", 0, 100 * 4096L, 100));
        assertThat(q.poll()).isEqualTo(inv("b", 0, 4096, 101));
        assertThat(q.poll()).isEqualTo(inv("a", 200 * 4096L, 4096, 102));
        assertThat(q.poll()).isNull();
    }

    @Test
    void pastTheBoundEveryQueuedMappingIsInvalidatedWhole() {
        Invalidations q = new Invalidations();
        for (int i = 0; i < Invalidations.MAX_RANGES; i++) {
            q.add(i % 2 == 0 ? "a" : "b", 1 << 20, i * 8192L, 4096); // never adjacent: one range each
        }
        assertThat(q.size()).isEqualTo(Invalidations.MAX_RANGES);
        assertThat(q.add("c", 4096, 0, 4096)).isEqualTo(Invalidations.MAX_RANGES + 1);
        assertThat(q.size()).isEqualTo(3);
        // Only the last collapsed range is numbered: acknowledging it covers the one before.
        assertThat(q.poll()).isEqualTo(inv("a", 0, 1 << 20, 0));
        assertThat(q.poll()).isEqualTo(inv("b", 0, 1 << 20, Invalidations.MAX_RANGES));
        assertThat(q.poll()).isEqualTo(inv("c", 0, 4096, Invalidations.MAX_RANGES + 1));
    }
}
