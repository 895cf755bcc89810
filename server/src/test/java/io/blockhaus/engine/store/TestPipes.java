package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Pipes holding given bytes, for tests of the splice paths (filled from a file, as a socket would fill them). */
public final class TestPipes {
    private TestPipes() {
    }

    /** A new 1 MiB pipe holding {@code data}, spliced in from a file in {@code dir}. */
    public static Pipe holding(Path dir, byte[] data) {
        return holding(FfmNativeIo.instance(), dir, data);
    }

    static Pipe holding(NativeIo io, Path dir, byte[] data) {
        try {
            Path src = Files.createTempFile(dir, "pipe-src", ".bin");
            Files.write(src, data);
            Pipe pipe = Pipe.open(io, 1 << 20);
            int fd = io.open(src, NativeIo.O_RDONLY | NativeIo.O_CLOEXEC, 0);
            try {
                assertThat(pipe.fillFrom(fd, data.length)).as("spliced into the pipe").isEqualTo(data.length);
            } finally {
                io.close(fd);
                Files.delete(src);
            }
            assertThat(pipe.buffered()).isEqualTo(data.length);
            return pipe;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
