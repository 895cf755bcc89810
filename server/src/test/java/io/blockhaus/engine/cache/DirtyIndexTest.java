package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** DirtyIndex against a TreeSet, over random adds, removes and queries near chunk edges. */
class DirtyIndexTest {

    @Test
    void behavesLikeASortedSet() {
        long seed = Long.getLong("dirtyindex.seed", System.nanoTime());
        System.out.println("DirtyIndexTest seed=" + seed + " (replay: -Ddirtyindex.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        DirtyIndex index = new DirtyIndex();
        TreeSet<Long> model = new TreeSet<>();
        for (int i = 0; i < 200_000; i++) {
            // Mostly near a few chunk boundaries, sometimes far away, to cover empty-chunk removal.
            long idx = r.nextInt(10) == 0 ? r.nextLong(1L << 40) : 64L * r.nextInt(8) + r.nextInt(-3, 70) + 3;
            String at = "step " + i + " idx " + idx + " seed " + seed;
            switch (r.nextInt(5)) {
                case 0, 1 -> assertThat(index.add(idx)).as(at).isEqualTo(model.add(idx));
                case 2 -> assertThat(index.remove(idx)).as(at).isEqualTo(model.remove(idx));
                case 3 -> {
                    assertThat(index.contains(idx)).as(at).isEqualTo(model.contains(idx));
                    Long c = model.ceiling(idx);
                    assertThat(index.ceiling(idx)).as(at).isEqualTo(c == null ? -1 : c);
                }
                default -> {
                    long end = idx + r.nextInt(300);
                    long[] expected = model.subSet(idx, end).stream().mapToLong(Long::longValue).toArray();
                    assertThat(index.snapshot(idx, end)).as(at).containsExactly(expected);
                }
            }
        }
        long[] all = model.stream().mapToLong(Long::longValue).toArray();
        assertThat(index.snapshot(0, Long.MAX_VALUE)).containsExactly(all);
        for (long idx : all) {
            assertThat(index.remove(idx)).isTrue();
        }
        assertThat(index.ceiling(0)).isEqualTo(-1);
        assertThat(index.snapshot(0, Long.MAX_VALUE)).isEmpty();
    }
}
