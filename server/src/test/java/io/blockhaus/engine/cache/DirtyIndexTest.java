package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * DirtyIndex against a TreeSet plus each chunk's first-dirtied time, over random adds, removes and
 * queries near chunk edges. The clock starts just below Long.MAX_VALUE so that it wraps, as
 * System.nanoTime() may.
 */
class DirtyIndexTest {

    @Test
    void behavesLikeASortedSet() {
        long seed = Long.getLong("dirtyindex.seed", System.nanoTime());
        System.out.println("DirtyIndexTest seed=" + seed + " (replay: -Ddirtyindex.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        DirtyIndex index = new DirtyIndex();
        TreeSet<Long> model = new TreeSet<>();
        HashMap<Long, Long> chunkTime = new HashMap<>(); // chunk -> when its oldest dirty page was added
        long start = Long.MAX_VALUE - 50_000;
        for (int i = 0; i < 200_000; i++) {
            long now = start + i; // wraps past Long.MAX_VALUE a quarter of the way in
            // Mostly near a few chunk boundaries, sometimes far away, to cover empty-chunk removal.
            long idx = r.nextInt(10) == 0 ? r.nextLong(1L << 40) : 64L * r.nextInt(8) + r.nextInt(-3, 70) + 3;
            String at = "step " + i + " idx " + idx + " seed " + seed;
            switch (r.nextInt(6)) {
                case 0, 1 -> {
                    assertThat(index.add(idx, now)).as(at).isEqualTo(model.add(idx));
                    chunkTime.putIfAbsent(idx >>> 6, now);
                }
                case 2 -> {
                    assertThat(index.remove(idx)).as(at).isEqualTo(model.remove(idx));
                    long chunk = idx >>> 6;
                    if (model.subSet(chunk << 6, (chunk + 1) << 6).isEmpty()) {
                        chunkTime.remove(chunk);
                    }
                }
                case 3 -> {
                    assertThat(index.contains(idx)).as(at).isEqualTo(model.contains(idx));
                    Long c = model.ceiling(idx);
                    assertThat(index.ceiling(idx)).as(at).isEqualTo(c == null ? -1 : c);
                }
                case 4 -> {
                    if (r.nextInt(40) != 0) {
                        break; // the model's answer costs a pass over every index: ask now and then
                    }
                    long cutoff = now - r.nextInt(Math.min(i, 5_000) + 1);
                    long[] expected = model.stream()
                            .filter(x -> chunkTime.get(x >>> 6) - cutoff <= 0)
                            .mapToLong(Long::longValue).toArray();
                    assertThat(index.expired(cutoff)).as(at + " cutoff " + cutoff).containsExactly(expected);
                }
                default -> {
                    long end = idx + r.nextInt(300);
                    long[] expected = model.subSet(idx, end).stream().mapToLong(Long::longValue).toArray();
                    assertThat(index.snapshot(idx, end)).as(at).containsExactly(expected);
                    assertThat(index.anyIn(idx, end)).as(at + " any").isEqualTo(expected.length > 0);
                }
            }
        }
        long[] all = model.stream().mapToLong(Long::longValue).toArray();
        assertThat(index.snapshot(0, Long.MAX_VALUE)).containsExactly(all);
        for (long idx : all) {
            assertThat(index.remove(idx)).isTrue();
        }
        assertThat(index.ceiling(0)).isEqualTo(-1);
        assertThat(index.expired(start + 200_000)).isEmpty();
        assertThat(index.snapshot(0, Long.MAX_VALUE)).isEmpty();
    }
}
