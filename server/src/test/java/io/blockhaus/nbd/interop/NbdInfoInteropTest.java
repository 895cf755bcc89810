package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.Handle;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.nbd.NbdTestServer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * libnbd's {@code nbdinfo} against the server: the handshake information (every transmission
 * flag, block sizes, meta contexts, size), export listing, and the allocation map of a sparse
 * volume (data where written, holes elsewhere).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdInfoInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    private NbdTestServer server;

    @BeforeAll
    void start() throws Exception {
        Proc.requireTool("nbdinfo", "libnbd-bin");
        server = NbdTestServer.builder()
                .memory("default", 64 * MIB)
                .memory(VolumeConfig.of("ro").withReadOnly(true), 16 * MIB)
                .file("sparse", dir.resolve("sparse.img"), 64 * MIB)
                .memory("msparse", 64 * MIB)
                .start();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, Object> info(String export) {
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", "--json", server.uri(export)).ok();
        Map<String, Object> root = Json.object(r.stdout());
        List<Object> exports = Json.at(root, "exports");
        assertThat(exports).as(r.describe()).hasSize(1);
        return Json.at(exports, 0);
    }

    @Test
    void everyAdvertisedFlagBlockSizeAndContextIsSeen() {
        Map<String, Object> e = info("default");
        for (String flag : List.of("can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero", "can_df",
                "can_cache", "can_multi_conn")) {
            assertThat(e.get(flag)).as("%s in %s", flag, e).isEqualTo(Boolean.TRUE);
        }
        assertThat(e.get("is_read_only")).as("is_read_only in %s", e).isEqualTo(Boolean.FALSE);
        assertThat(Json.<List<Object>>at(e, "contexts")).as("contexts").contains("base:allocation");
        assertThat(e.get("block_size_minimum")).isEqualTo(1L);
        assertThat(e.get("block_size_preferred")).isEqualTo(4096L);
        assertThat(e.get("block_size_maximum")).isEqualTo(33554432L);
        assertThat(e.get("export-size")).isEqualTo(64 * MIB);
        assertThat(e.get("export-name")).isEqualTo("default");
    }

    @Test
    void readOnlyExportIsReadOnly() {
        Map<String, Object> e = info("ro");
        assertThat(e.get("is_read_only")).as("is_read_only in %s", e).isEqualTo(Boolean.TRUE);
        assertThat(e.get("export-size")).isEqualTo(16 * MIB);
        assertThat(e.get("can_flush")).isEqualTo(Boolean.TRUE);
    }

    @Test
    void listShowsEveryExport() {
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", "--list", "--json", server.baseUri()).ok();
        List<Object> exports = Json.at(Json.parse(r.stdout()), "exports");
        List<String> names = exports.stream().map(x -> (String) Json.at(x, "export-name")).toList();
        assertThat(names).as(r.describe()).containsExactly("default", "ro", "sparse", "msparse");
        Map<String, Object> ro = Json.at(exports, 1);
        assertThat(ro.get("is_read_only")).isEqualTo(Boolean.TRUE);
        Map<String, Object> sparse = Json.at(exports, 2);
        assertThat(sparse.get("export-size")).isEqualTo(64 * MIB);
    }

    /** [offset, length, type]: type 0 data, 3 hole+zero. */
    private static final long[][] WRITTEN = {{1 * MIB, 64 * 1024}, {8 * MIB, 4096}, {40 * MIB, MIB}, {63 * MIB, MIB}};

    private static List<List<Long>> expectedMap(long size) {
        List<List<Long>> out = new ArrayList<>();
        long pos = 0;
        for (long[] w : WRITTEN) {
            if (w[0] > pos) {
                out.add(List.of(pos, w[0] - pos, 3L));
            }
            out.add(List.of(w[0], w[1], 0L));
            pos = w[0] + w[1];
        }
        if (pos < size) {
            out.add(List.of(pos, size - pos, 3L));
        }
        return out;
    }

    /** nbdinfo --map, with neighbouring extents of one type merged (a server may split them anywhere). */
    private List<List<Long>> map(String export) {
        Proc.Result r = Proc.run(TIMEOUT, "nbdinfo", "--map", "--json", server.uri(export)).ok();
        List<Object> entries = (List<Object>) Json.parse(r.stdout());
        List<List<Long>> merged = new ArrayList<>();
        long expectOffset = 0;
        for (Object o : entries) {
            long off = Json.at(o, "offset");
            long len = Json.at(o, "length");
            long type = Json.at(o, "type");
            assertThat(off).as("map entries must be contiguous:\n%s", r.stdout()).isEqualTo(expectOffset);
            expectOffset = off + len;
            List<Long> last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && last.get(2) == type) {
                merged.set(merged.size() - 1, List.of(last.get(0), last.get(1) + len, type));
            } else {
                merged.add(List.of(off, len, type));
            }
        }
        System.out.println("nbdinfo --map " + export + ": " + merged);
        return merged;
    }

    private void writeRanges(String export) {
        try (Handle h = server.volume(export).open()) {
            byte[] b = new byte[(int) MIB];
            Arrays.fill(b, (byte) 0x5a);
            for (long[] w : WRITTEN) {
                h.write(w[0], ByteBuffer.wrap(b, 0, (int) w[1]), false);
            }
        }
    }

    @Test
    void mapOfFileBackedVolumeShowsDataAndHoles() {
        assertThat(map("sparse")).as("fresh volume is one hole").containsExactly(List.of(0L, 64 * MIB, 3L));
        writeRanges("sparse");
        assertThat(map("sparse")).as("dirty cached pages count as data").isEqualTo(expectedMap(64 * MIB));
        try (Handle h = server.volume("sparse").open()) {
            h.flush();
        }
        assertThat(map("sparse")).as("after flush, from the sparse file").isEqualTo(expectedMap(64 * MIB));
    }

    @Test
    void mapOfMemoryVolumeShowsDataAndHoles() {
        writeRanges("msparse");
        assertThat(map("msparse")).isEqualTo(expectedMap(64 * MIB));
    }
}
