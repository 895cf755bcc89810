package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.MemoryStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client nobody here wrote: Debian's python3-grpcio, with messages generated from proto/ by
 * Debian's protoc at test time, calls health, ListVolumes, OpenHandle, a two-message Write and a
 * streamed Read over TCP, and reads a status error; the Java client then reads what Python wrote.
 * Skips with a message where python3-grpcio, python3-protobuf or protobuf-compiler is missing.
 */
class PythonGrpcioInteropTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path tmp;

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
        if (p.exitValue() != 0) {
            return "EXIT " + p.exitValue() + "\n" + out;
        }
        return out;
    }

    @Test
    void pythonGrpcioTalksToTheServer() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)) && Files.isExecutable(Path.of("/usr/bin/protoc"))
                && Files.exists(Path.of("/usr/include/google/protobuf/empty.proto")),
                "needs /usr/bin/python3, protoc and google/protobuf/empty.proto: apt-get install python3-grpcio "
                        + "python3-protobuf protobuf-compiler libprotobuf-dev; test skipped");
        String probe = run(List.of(PYTHON, "-c", "import grpc, google.protobuf"));
        assumeTrue(!probe.startsWith("EXIT"), "/usr/bin/python3 cannot import grpc and google.protobuf "
                + "(apt-get install python3-grpcio python3-protobuf); test skipped\n" + probe);
        Path protoDir = Path.of("..", "proto", "src", "main", "protobuf").toAbsolutePath().normalize();
        assertThat(protoDir.resolve("blockhaus/v1/volume_io.proto")).exists();
        Path script = tmp.resolve("grpcio_client.py");
        try (InputStream in = getClass().getResourceAsStream("grpcio_client.py")) {
            Files.write(script, in.readAllBytes());
        }

        long seed = System.nanoTime();
        System.out.println("PythonGrpcioInteropTest seed " + seed);
        byte[] data = new byte[10_000];
        new Random(seed).nextBytes(data);
        try (Engine engine = new Engine(EngineConfig.withCache(4 << 20))) {
            LockStatsBook stats = new LockStatsBook();
            Volume v = engine.open(VolumeConfig.of("py"), new MemoryStore(1 << 20), stats.recorderFor("py"));
            GrpcServer server = GrpcServer.listen(new InetSocketAddress("127.0.0.1", 0), new FixedCatalog(List.of(v), stats), 4);
            try {
                String out = run(List.of(PYTHON, script.toString(), Integer.toString(server.address().getPort()),
                        protoDir.toString(), tmp.toString(), "py", HexFormat.of().formatHex(data), "12345"));
                assertThat(out).as(out).doesNotStartWith("EXIT");
                String[] lines = out.strip().split("\n");
                String json = lines[lines.length - 1];
                assertThat(json).as(out)
                        .contains("\"health\": \"0801\"")
                        .contains("\"volumes\": [\"volumes/py\"]")
                        .contains("\"written\": 10000")
                        .contains("\"back\": \"" + HexFormat.of().formatHex(data) + "\"")
                        .contains("\"code\": \"INVALID_ARGUMENT\"")
                        .contains("EINVAL")
                        .contains("\"has_status_details\": true");
                try (BlockhausClient c = BlockhausClient.connect("127.0.0.1:" + server.address().getPort());
                        VolumeHandle h = c.open("py")) {
                    ByteBuffer back = h.readDirect(12345, data.length);
                    assertThat(back.array()).isEqualTo(data);
                }
            } finally {
                server.close();
            }
        }
    }
}
