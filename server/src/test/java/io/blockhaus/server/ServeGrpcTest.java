package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve} run in-process with both front ends on port 0: volumes created over gRPC are
 * exported over NBD at once (seen by nbdinfo, when installed), refused deletes and forced ones,
 * and a restart that serves the created volume again with its options, size and bytes.
 */
class ServeGrpcTest {
    @TempDir
    Path data;

    private final StringWriter out = new StringWriter();

    private record Served(ServeCommand command, CompletableFuture<Integer> exit) implements AutoCloseable {
        ServeCommand.Running running() {
            return command.running();
        }

        BlockhausClient client() {
            return BlockhausClient.connect("127.0.0.1:" + running().grpc().getPort());
        }

        @Override
        public void close() {
            running().shutdown().requestStop("test");
            try {
                assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new AssertionError("serve did not stop cleanly: " + e, e);
            }
        }
    }

    private Served serve(String... extra) {
        ServeCommand cmd = new ServeCommand(new FileStoreFactory(), false);
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        String[] args = new String[10 + extra.length];
        System.arraycopy(new String[] {"--data-dir", data.toString(), "--nbd-listen", "127.0.0.1:0", "--grpc-listen",
                "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--warmup", "0"}, 0, args, 0, 10);
        System.arraycopy(extra, 0, args, 10, extra.length);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute(args));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (cmd.running() == null) {
            assertThat(exit).as("serve ended early: " + out).isNotDone();
            assertThat(System.nanoTime()).as("serve did not start: " + out).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
        }
        return new Served(cmd, exit);
    }

    /** nbdinfo's export size, or -1 without nbdinfo (the NBD side is then checked by the coherence test only). */
    private static long nbdSize(Served s, String export) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/nbdinfo"))) {
            System.out.println("nbdinfo not installed (apt-get install libnbd-bin): NBD sizes not checked");
            return -1;
        }
        Process p = new ProcessBuilder("nbdinfo", "--size", "nbd://127.0.0.1:" + s.running().nbd().getPort() + "/" + export)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(text).isZero();
        return Long.parseLong(text);
    }

    @Test
    void createdVolumesAreExportedAtOnceAndSurviveARestart() throws Exception {
        byte[] bytes = "written over gRPC".getBytes(StandardCharsets.UTF_8);
        try (Served s = serve("--export", "name=cli,size=1M")) {
            try (BlockhausClient c = s.client()) {
                ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", s.running().grpc().getPort())
                        .usePlaintext().build();
                assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
                ch.shutdownNow();

                Types.VolumeInfo made = c.createVolume("made", 2 << 20, false, true);
                assertThat(made.createdByApi()).isTrue();
                assertThat(made.lockPolicy()).isEqualTo("range");
                assertThat(nbdSize(s, "made")).isIn(-1L, 2L << 20);
                try (VolumeHandle h = c.open("made")) {
                    h.write(4096, ByteBuffer.wrap(bytes), false);
                }
                assertThat(c.resizeVolume("made", 3 << 20).sizeBytes()).isEqualTo(3 << 20);
                assertThat(nbdSize(s, "made")).isIn(-1L, 3L << 20);
                assertThatThrownBy(() -> c.createVolume("made", 1 << 20))
                        .isInstanceOfSatisfying(BlockhausException.AlreadyExists.class,
                                e -> assertThat(e.errno()).isEqualTo("EEXIST"));
                assertThatThrownBy(() -> c.createVolume("../x", 1 << 20))
                        .isInstanceOf(BlockhausException.InvalidArgument.class);
                assertThatThrownBy(() -> c.deleteVolume("cli", false))
                        .isInstanceOfSatisfying(BlockhausException.NotPermitted.class,
                                e -> assertThat(e.errno()).isEqualTo("EPERM"));
            }
        }
        assertThat(Files.readString(data.resolve(ApiVolumeFile.NAME))).contains("name=made,").contains("lock=range");
        try (Served s = serve("--export", "name=cli,size=1M")) {
            try (BlockhausClient c = s.client(); VolumeHandle h = c.open("made")) {
                assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name).containsExactly("cli", "made");
                Types.VolumeStat st = h.stat();
                assertThat(st.sizeBytes()).isEqualTo(3 << 20);
                assertThat(st.lockPolicy()).isEqualTo("RANGE");
                ByteBuffer back = h.read(4096, bytes.length);
                assertThat(back.array()).isEqualTo(bytes);
            }
            assertThat(nbdSize(s, "made")).isIn(-1L, 3L << 20);
        }
    }

    @Test
    void deleteIsRefusedWhileAHandleIsOpenUnlessForced() throws Exception {
        try (Served s = serve(); BlockhausClient c = s.client()) {
            c.createVolume("gone", 1 << 20);
            c.createVolume("busy", 1 << 20);
            VolumeHandle h = c.open("busy");
            assertThatThrownBy(() -> c.deleteVolume("busy", false))
                    .isInstanceOfSatisfying(BlockhausException.NotPermitted.class, e -> assertThat(e.errno()).isEqualTo("EBUSY"));
            c.deleteVolume("gone", false);
            c.deleteVolume("busy", true);
            assertThatThrownBy(h::stat).isInstanceOf(BlockhausException.NotFound.class);
            assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name).containsExactly("default");
            assertThat(Files.exists(data.resolve("busy.img"))).isFalse();
            assertThatThrownBy(() -> c.open("busy")).isInstanceOf(BlockhausException.NotFound.class);
            assertThatThrownBy(() -> c.deleteVolume("busy", false)).isInstanceOf(BlockhausException.NotFound.class);
        }
        assertThat(Files.readString(data.resolve(ApiVolumeFile.NAME))).doesNotContain("name=busy").doesNotContain("name=gone");
    }
}
