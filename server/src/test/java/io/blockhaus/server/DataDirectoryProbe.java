package io.blockhaus.server;

import java.nio.file.Path;

/**
 * A child JVM's attempt on a data directory's lock, for tests that need a second process: prints
 * {@code refused by pid N} (the holder named in the message, args[1]) or {@code locked}, then
 * exits (releasing what it took).
 */
public final class DataDirectoryProbe {
    private DataDirectoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (DataDirectoryLock lock = DataDirectoryLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
        } catch (StartupException e) {
            boolean named = e.getMessage().contains("is in use by another Blockhaus server (pid " + args[1] + " started ");
            System.out.println(named ? "refused by pid " + args[1] : "refused: " + e.getMessage());
        }
    }
}
