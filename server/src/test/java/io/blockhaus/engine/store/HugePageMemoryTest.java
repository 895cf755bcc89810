package io.blockhaus.engine.store;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The page cache's slab memory: 2 MiB-aligned, zeroed, advised to huge pages (the kernel's own
 * account of the mapping says so), and gone once its arena closes.
 */
class HugePageMemoryTest {
    private static final long MIB = 1L << 20;

    private static HugePageMemory memory() {
        Optional<HugePageMemory> m = HugePageMemory.open();
        assumeTrue(m.isPresent(), "this kernel gives no transparent huge pages to a process that asks"
                + " (/sys/kernel/mm/transparent_hugepage/enabled is 'never' or missing): nothing to test");
        return m.get();
    }

    /** The /proc/self/smaps block of the mapping that starts at {@code address}; empty if none does. */
    private static List<String> smapsOf(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        String start = Long.toHexString(address) + "-";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                    end++;
                }
                return lines.subList(i, end);
            }
        }
        return List.of();
    }

    @Test
    void aMappingIsAlignedZeroedWritableAndAdvisedToHugePages() throws IOException {
        HugePageMemory memory = memory();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment slab = memory.map(4 * MIB, arena);
            assertThat(slab.byteSize()).isEqualTo(4 * MIB);
            assertThat(slab.address() % HugePageMemory.HUGE_PAGE).as("2 MiB-aligned").isZero();
            for (long off = 0; off < slab.byteSize(); off += 4096) {
                assertThat(slab.get(JAVA_LONG, off)).as("zeroed at %d", off).isZero();
            }
            slab.set(JAVA_LONG, 4 * MIB - 8, 0x0123456789abcdefL);
            assertThat(slab.get(JAVA_LONG, 4 * MIB - 8)).isEqualTo(0x0123456789abcdefL);

            List<String> smaps = smapsOf(slab.address());
            assertThat(smaps).as("the kernel lists the mapping").isNotEmpty();
            assertThat(smaps).as("madvise(MADV_HUGEPAGE) took: %s", smaps).anyMatch(l -> l.matches("THPeligible:\\s+1"));
            assertThat(smaps.stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElseThrow())
                    .as("the advice is on the mapping").contains(" hg");
        }
    }

    @Test
    void closingTheArenaUnmapsIt() throws IOException {
        HugePageMemory memory = memory();
        long address;
        try (Arena arena = Arena.ofShared()) {
            address = memory.map(2 * MIB, arena).address();
            assertThat(smapsOf(address)).isNotEmpty();
        }
        // Another mapping may start there later (the JVM maps memory too): just not this one.
        assertThat(smapsOf(address)).as("unmapped with its arena")
                .noneMatch(l -> l.startsWith("VmFlags:") && l.contains(" hg"));
    }

    @Test
    void onlyWholeHugePages() {
        HugePageMemory memory = memory();
        try (Arena arena = Arena.ofShared()) {
            assertThatThrownBy(() -> memory.map(3 * MIB, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("multiple of 2 MiB");
            assertThatThrownBy(() -> memory.map(0, arena)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
