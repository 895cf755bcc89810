package io.blockhaus.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs bhctl in this JVM against one server, capturing its exit code and both streams. */
final class BhctlRunner {
    /** One run: the exit code, stdout's bytes, stderr's text. */
    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out() + "--- stderr\n" + stderr;
        }
    }

    private final String server;

    BhctlRunner(String server) {
        this.server = server;
    }

    Result run(String... args) {
        return runWithInput(new byte[0], args);
    }

    Result runWithInput(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--server", server));
        all.addAll(List.of(args));
        int code = Bhctl.run(new Streams(new ByteArrayInputStream(stdin), out, err, false), all.toArray(String[]::new));
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }
}
