package io.blockhaus.engine.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.engine.store.HugePageMemory;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With huge page memory a pool carves 2 MiB slabs, each one huge page: its frames tile the slab
 * exactly, so a frame never straddles two huge pages. Page sizes beyond a huge page fall back to
 * ordinary memory.
 */
class PagePoolHugePagesTest {
    private static final int PAGE = 4096;
    private static final int HUGE_PAGE_FRAMES = (int) (HugePageMemory.HUGE_PAGE / PAGE);

    private static HugePageMemory memory() {
        return HugePageMemory.open().orElseGet(() -> {
            assumeTrue(false, "this kernel gives no transparent huge pages to a process that asks: nothing to test");
            return null;
        });
    }

    @Test
    void aSlabIsOneHugePageTiledByFrames() {
        try (PagePool pool = new PagePool(PAGE, 64L << 20, memory())) {
            Set<Long> slabs = new HashSet<>();
            Set<Long> frames = new HashSet<>();
            for (int i = 0; i < HUGE_PAGE_FRAMES; i++) {
                PagePool.Frame f = pool.tryAllocate();
                assertThat(f).as("frame %d of the first slab", i).isNotNull();
                assertThat(f.memory().byteSize()).isEqualTo(PAGE);
                long address = f.memory().address();
                assertThat(address % PAGE).isZero();
                frames.add(address);
                slabs.add(address & -HugePageMemory.HUGE_PAGE);
            }
            assertThat(frames).as("distinct frames").hasSize(HUGE_PAGE_FRAMES);
            assertThat(slabs).as("all in one 2 MiB-aligned huge page").hasSize(1);
            assertThat(pool.tryAllocate()).as("the first slab is used up and nobody carves ahead").isNull();

            PagePool.Frame carved = pool.allocate(); // a thread that may wait carves the next one
            assertThat(carved.memory().address() & -HugePageMemory.HUGE_PAGE).isNotIn(slabs);
        }
    }

    @Test
    void pagesLargerThanAHugePageUseOrdinaryMemory() {
        int bigPage = (int) (2 * HugePageMemory.HUGE_PAGE);
        try (PagePool pool = new PagePool(bigPage, 64L << 20, memory())) {
            PagePool.Frame f = pool.tryAllocate();
            assertThat(f).isNotNull();
            assertThat(f.memory().byteSize()).isEqualTo(bigPage);
        }
    }
}
