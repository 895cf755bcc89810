package io.blockhaus.cli;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The process's streams as bhctl uses them: raw bytes in and out (read and write move volume
 * bytes through them), and whether a person is watching (progress bars only then).
 *
 * @param terminal stderr goes to a terminal: progress bars are drawn there, never into a pipe or a file
 */
public record Streams(InputStream in, OutputStream out, OutputStream err, boolean terminal) {
    /** The JVM's own streams; a terminal when the JVM says its console is one (stdin and stdout on a tty). */
    public static Streams system() {
        var console = System.console();
        return new Streams(System.in, System.out, System.err, console != null && console.isTerminal());
    }
}
