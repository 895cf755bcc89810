package io.blockhaus.nbd.interop;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the Python scripts of these tests with Debian's {@code /usr/bin/python3} and its libnbd
 * binding (python3-libnbd; the python3 first on PATH may be another Python without it). A script
 * prints one JSON object on its last line of stdout, which is returned parsed.
 */
final class PyNbd {
    static final String PYTHON = "/usr/bin/python3";

    private PyNbd() {
    }

    /** Skips the test unless /usr/bin/python3 can import nbd. */
    static void require() {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " not found: install python3 and python3-libnbd; test skipped");
        Proc.Result r = Proc.run(Duration.ofSeconds(30), PYTHON, "-c", "import nbd; print(nbd.NBD().get_version())");
        assumeTrue(r.exit() == 0, "/usr/bin/python3 cannot import nbd: install python3-libnbd; test skipped\n" + r.describe());
    }

    /** Copies the script resource {@code name} (next to this class) into {@code dir}. */
    static Path script(Path dir, String name) {
        try (InputStream in = PyNbd.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            Path p = dir.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code script} with {@code args}; asserts exit 0 and returns the JSON on its last stdout line. */
    static Map<String, Object> run(Duration timeout, Path script, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString()));
        cmd.addAll(List.of(args));
        Proc.Result r = Proc.run(timeout, null, cmd).ok();
        String[] lines = r.stdout().strip().split("\n");
        try {
            return Json.object(lines[lines.length - 1]);
        } catch (RuntimeException e) {
            throw new AssertionError("script output is not JSON:\n" + r.describe(), e);
        }
    }
}
