package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ResidentSetTest {
    @Test
    void rangesAcrossWordAndChunkEdges() {
        ResidentSet s = new ResidentSet();
        assertThat(s.anyIn(0, 1 << 20)).isFalse();
        s.add(4095); // last page of the first chunk
        assertThat(s.anyIn(4095, 4096)).isTrue();
        assertThat(s.anyIn(0, 4095)).isFalse();
        assertThat(s.anyIn(4096, 8192)).isFalse();
        assertThat(s.anyIn(4000, 5000)).isTrue();
        s.add(64);
        assertThat(s.anyIn(0, 64)).isFalse();
        assertThat(s.anyIn(64, 65)).isTrue();
        assertThat(s.anyIn(65, 4095)).isFalse();
        s.remove(64);
        s.remove(4095);
        assertThat(s.anyIn(0, 1 << 20)).isFalse();
        s.add(Long.MAX_VALUE / 4096); // a page index far out
        assertThat(s.anyIn(Long.MAX_VALUE / 4096, Long.MAX_VALUE / 4096 + 1)).isTrue();
    }

    @Test
    void matchesABitSetModel() {
        long seed = Long.getLong("resident.seed", new SplittableRandom().nextLong());
        System.out.println("ResidentSetTest seed=" + seed + "   (replay: -Dresident.seed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        ResidentSet s = new ResidentSet();
        BitSet model = new BitSet();
        int span = 3 * 4096 + 77;
        for (int op = 0; op < 50_000; op++) {
            int i = rnd.nextInt(span);
            if (rnd.nextBoolean()) {
                s.add(i);
                model.set(i);
            } else {
                s.remove(i);
                model.clear(i);
            }
            int a = rnd.nextInt(span);
            int b = a + rnd.nextInt(Math.min(600, span - a) + 1);
            int next = model.nextSetBit(a);
            boolean expected = next >= 0 && next < b;
            assertThat(s.anyIn(a, b)).as("seed %d op %d range [%d,%d)", seed, op, a, b).isEqualTo(expected);
            long[] want = model.get(a, b).stream().mapToLong(x -> x + a).toArray();
            assertThat(s.indexesIn(a, b)).as("seed %d op %d indexes in [%d,%d)", seed, op, a, b).containsExactly(want);
        }
    }
}
