package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static io.blockhaus.engine.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's half of recall before completion: every operation that changes bytes a mapping
 * holds, in place or by shooting the page down, tells the mapping (its page leaves it) and
 * completes the owner's {@link Recall} before it returns, once per mapping, on the caller's
 * thread, with no page lock held; an operation that changes nothing mapped completes nothing;
 * the never-waiting cached write refuses mapped pages rather than wait.
 */
class RecallBeforeCompletionTest {
    Engine engine;
    Volume vol;
    Handle writer;
    Handle owner;
    /** What the owner's listener heard, in order: "inv first end" and "done". */
    final List<String> events = new ArrayList<>();

    @BeforeEach
    void open() {
        engine = new Engine(EngineConfig.withCache(4 << 20).withBackgroundThreads(false));
        vol = engine.open(VolumeConfig.of("recall").withFaultAroundPages(1), TestStores.memory(64L * PAGE));
        writer = vol.open();
        owner = vol.open();
        write(writer, 0, filled(16 * PAGE, 7), false);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    /** A mapping of pages 0..15 whose recall records that it completed, and on which thread. */
    Mapping mapAll() {
        Thread caller = Thread.currentThread();
        Mapping m = owner.map(0, 16L * PAGE, true, (mapping, first, end) -> {
            events.add("inv " + first + " " + end);
            return () -> {
                assertThat(Thread.currentThread()).isSameAs(caller);
                // No page lock held: a read of the invalidated page from here does not wait.
                assertThat(read(writer, first * PAGE, 1)).hasSize(1);
                events.add("done");
            };
        });
        read(m, 0, 16 * PAGE);
        assertThat(m.mappedPages()).isEqualTo(16);
        return m;
    }

    @Test
    void aBufferedWriteIntoAMappedPageRecallsItBeforeReturning() {
        Mapping m = mapAll();
        write(writer, 3L * PAGE + 100, filled(2 * PAGE, 9), false); // pages 3, 4, 5
        assertThat(events).containsExactly("inv 3 4", "inv 4 5", "inv 5 6", "done");
        assertThat(m.mappedPages()).isEqualTo(13);
        assertThat(read(m, 3L * PAGE + 100, 2 * PAGE)).containsOnly(9); // faults again, sees the new bytes
        events.clear();
        write(writer, 32L * PAGE, filled(PAGE, 1), false); // nothing mapped there
        assertThat(events).isEmpty();
    }

    @Test
    void theCachedWriteThatNeverWaitsRefusesAMappedPage() {
        Mapping m = mapAll();
        assertThat(writer.fastPaths().writeIfCached(PAGE, ByteBuffer.wrap(filled(10, 1)))).isFalse();
        assertThat(events).isEmpty();
        assertThat(m.mappedPages()).isEqualTo(16);
        write(writer, 20L * PAGE, filled(PAGE, 1), false);
        assertThat(writer.fastPaths().writeIfCached(20L * PAGE, ByteBuffer.wrap(filled(10, 2)))).isTrue();
    }

    @Test
    void aStoreThroughAnotherMappingRecallsTheOthersButNotItsOwn() {
        Mapping m = mapAll();
        Mapping w = writer.map(0, 16L * PAGE, true, (mapping, first, end) -> {
            throw new AssertionError("the storing mapping was told its own store invalidated it");
        });
        write(w, 2L * PAGE, filled(10, 5));
        assertThat(events).containsExactly("inv 2 3", "done");
        assertThat(w.mappedPages()).isEqualTo(1);
        assertThat(read(m, 2L * PAGE, 10)).containsOnly(5);
    }

    @Test
    void anEdgePageZeroedInPlaceByAPunchOrTruncateIsRecalled() {
        Mapping m = mapAll();
        writer.fallocate(FallocateMode.PUNCH_HOLE, PAGE + 100, PAGE); // edges: pages 1 and 2, both in place
        assertThat(events).containsExactly("inv 1 2", "inv 2 3", "done");
        events.clear();
        writer.truncate(15L * PAGE + 10); // page 15 cut in place
        assertThat(events).containsExactly("inv 15 16", "done");
        assertThat(m.mappedPages()).isEqualTo(13);
    }

    @Test
    void aDirectWriteCompletesEachMappingsRecallOnce() {
        mapAll();
        writer.writeDirect(0, ByteBuffer.wrap(filled(8 * PAGE, 3)), false);
        assertThat(events).hasSize(9).last().isEqualTo("done");
    }
}
