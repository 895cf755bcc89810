package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: the gRPC front end uses the operation table ({@code Handle}) and nothing of the
 * shortcuts behind {@code Handle.fastPaths()}, whose file ranges may show a concurrent write
 * through and whose no-wait paths ignore a call's deadline. Read from the sources, since Java
 * has no package-level access rule that could say it.
 */
class OperationTableOnlyTest {

    @Test
    void theGrpcFrontEndNeverTakesTheFastPaths() throws IOException {
        Path dir = Path.of("src/main/java/io/blockhaus/grpc");
        assertThat(dir).as("run from the server module").isDirectory();
        List<Path> sources;
        try (Stream<Path> files = Files.list(dir)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(10);
        for (Path p : sources) {
            assertThat(Files.readString(p)).as(p.toString()).doesNotContain("fastPaths(").doesNotContain("FastPaths")
                    .doesNotContain("PayloadPipe").doesNotContain("FileRange");
        }
    }
}
