package io.blockhaus.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr, redrawn with a carriage return, for a person watching a long
 * transfer. Drawn only on a terminal: in a pipe or a log file the redraws would be noise, so a
 * bar made with {@code enabled} false draws nothing. It redraws when the shown percentage changes,
 * not per call, so a transfer of small pieces costs no more output than one of large ones.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private int shownPercent = -1;

    ProgressBar(PrintWriter err, String label, long total, boolean enabled) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.enabled = enabled;
    }

    void update(long done) {
        if (!enabled) {
            return;
        }
        int percent = total == 0 ? 100 : (int) Math.min(100, done * 100 / total);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        int filled = percent * WIDTH / 100;
        err.printf("\r%s [%s%s] %3d%% %s/%s", label, "#".repeat(filled), ".".repeat(WIDTH - filled), percent,
                mib(done), mib(total));
        err.flush();
    }

    void finish() {
        if (enabled) {
            update(total);
            err.println();
            err.flush();
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1fMiB", bytes / 1048576.0);
    }
}
