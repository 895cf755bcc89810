package io.blockhaus.nbd.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.nbd.NbdTestServer;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CAN_MULTI_CONN as libnbd uses it: four connections to one file-backed volume each write a
 * disjoint range; every connection sees each write as soon as it completes (no flush), and one
 * flush on one connection puts all four ranges in the backing file. Background writeback is off,
 * so only that flush can have written them.
 */
class MultiConnInteropTest {
    private static final int LEN = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void writesOnAnyConnectionAreSeenByAllAndOneFlushPersistsThemAll() throws Exception {
        PyNbd.require();
        Path script = PyNbd.script(dir, "multiconn.py");
        Path file = dir.resolve("volume.img");
        try (NbdTestServer s = NbdTestServer.builder().cacheBytes(64L << 20).backgroundThreads(false)
                .file("default", file, 64L << 20).start()) {
            Map<String, Object> out = PyNbd.run(Duration.ofSeconds(60), script, s.uri("default"), Integer.toString(LEN));
            System.out.println("multiconn: " + out);
            assertThat(out.get("multi_conn")).as("every connection saw CAN_MULTI_CONN").isEqualTo(Boolean.TRUE);
            assertThat(Json.<List<Object>>at(out, "errors")).as("coherence errors").isEmpty();
            List<Object> offsets = Json.at(out, "offsets");
            assertThat(offsets).hasSize(4);
            // The server is still running: what the flush made durable must be in the file now.
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                for (int i = 0; i < 4; i++) {
                    long off = (Long) offsets.get(i);
                    byte[] got = new byte[LEN];
                    raf.seek(off);
                    raf.readFully(got);
                    byte[] want = expected(i);
                    int mismatch = java.util.Arrays.mismatch(got, want);
                    assertThat(mismatch).as("backing file range of connection %d at offset %d differs at byte %d after flush",
                            i, off, mismatch).isEqualTo(-1);
                }
            }
        }
    }

    /** The same bytes as data(i) in multiconn.py. */
    private static byte[] expected(int i) {
        byte[] b = new byte[LEN];
        for (int j = 0; j < LEN; j++) {
            int v = ((j % 256) * 7 + i * 31 + 1) & 0xFF;
            b[j] = (byte) (v == 0 ? 1 : v);
        }
        return b;
    }
}
