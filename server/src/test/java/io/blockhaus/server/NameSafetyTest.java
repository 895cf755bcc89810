package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.proto.v1.CreateVolumeRequest;
import io.blockhaus.proto.v1.Volume;
import io.blockhaus.proto.v1.VolumeAdminGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParameterException;

/**
 * Names from the network and from the command line (issue 15): {@code ../x}, absolute paths, NUL
 * bytes, 10 KiB names and symbolic links out of the data directory are refused with a short,
 * clear error, and nothing is created outside the data directory (a sentinel directory beside it
 * stays empty, or unchanged).
 */
class NameSafetyTest {
    private static final String TEN_KIB = "n".repeat(10 * 1024);

    @TempDir
    Path tmp;

    private Path data() throws IOException {
        return Files.createDirectories(tmp.resolve("data"));
    }

    private Path sentinel() throws IOException {
        return Files.createDirectories(tmp.resolve("sentinel"));
    }

    private static ServeCommand parse(String... args) {
        return ServeCommandTest.parse(args);
    }

    private static List<Path> contents(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void badExportNamesOnTheCommandLineAreUsageErrorsThatQuoteThemShortly() throws IOException {
        Path data = data();
        for (String name : List.of("../x", "/etc/passwd", "a/b", ".hidden", "nul\0byte", TEN_KIB)) {
            assertThatThrownBy(() -> parse("--data-dir", data.toString(), "--export", "name=" + name + ",size=1M"))
                    .isInstanceOf(ParameterException.class)
                    .hasMessageContaining("invalid name")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(1200).doesNotContain("\0"));
        }
        assertThatThrownBy(() -> parse("--export", "name=x,size=1M,path=a\0b")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid path").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\0"));
        assertThatThrownBy(() -> parse("--data-dir", data.toString(), "--export", "name=x,size=1M,path=../x").volumePlans())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaves the data directory");
        assertThat(contents(tmp)).containsExactly(data);
    }

    @Test
    void createVolumeOverGrpcRefusesBadNamesAndLinksOutOfTheDataDirAndCreatesNothingOutside() throws Exception {
        Path data = data();
        Path sentinel = sentinel();
        Path precious = Files.writeString(sentinel.resolve("precious"), "do not touch");
        // Links planted in the data directory: one dangling into the sentinel, one to a file there.
        Files.createSymbolicLink(data.resolve("dangling.img"), sentinel.resolve("created-through-a-link"));
        Files.createSymbolicLink(data.resolve("linked.img"), precious);
        try (InProcessServe serve = InProcessServe.start(data, "--export", "name=cli,size=1M")) {
            ManagedChannel ch = NettyChannelBuilder.forTarget(serve.grpcTarget()).usePlaintext().build();
            try {
                var admin = VolumeAdminGrpc.newBlockingStub(ch);
                for (String id : List.of("../x", "/etc/passwd", "..", "a/../../b", "nul\0byte", TEN_KIB)) {
                    assertThatThrownBy(() -> create(admin, id)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("volume_id").hasSizeLessThan(300);
                    });
                }
                for (String id : List.of("dangling", "linked")) {
                    assertThatThrownBy(() -> create(admin, id)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                        assertThat(e.getStatus().getDescription()).contains("symbolic link");
                    });
                    assertThat(Files.isSymbolicLink(data.resolve(id + ".img"))).as("the link is left alone").isTrue();
                }
                assertThat(create(admin, "fine").getName()).isEqualTo("volumes/fine");
                assertThat(Files.isRegularFile(data.resolve("fine.img"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        assertThat(contents(sentinel)).containsExactly(precious);
        assertThat(Files.readString(precious)).isEqualTo("do not touch");
        assertThat(contents(tmp)).containsExactlyInAnyOrder(data, sentinel);

        // A volume created over gRPC whose file is then replaced by a link out is not served again.
        Files.delete(data.resolve("fine.img"));
        Files.createSymbolicLink(data.resolve("fine.img"), precious);
        try (InProcessServe serve = InProcessServe.start(data, "--export", "name=cli,size=1M")) {
            assertThat(serve.log()).contains("volume fine (created over gRPC) now has a symbolic link")
                    .doesNotContain("volume fine: ");
        }
        assertThat(Files.readString(precious)).isEqualTo("do not touch");
    }

    private static Volume create(VolumeAdminGrpc.VolumeAdminBlockingStub admin, String id) {
        return admin.withDeadlineAfter(10, TimeUnit.SECONDS).createVolume(CreateVolumeRequest.newBuilder().setVolumeId(id)
                .setVolume(Volume.newBuilder().setSizeBytes(1 << 20)).build());
    }
}
