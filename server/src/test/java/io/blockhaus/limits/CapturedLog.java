package io.blockhaus.limits;

import java.lang.System.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;

/** A logger that keeps what would have been logged: each line's message, and its level. For tests of other packages too. */
public final class CapturedLog implements Logger {
    public final List<String> lines = new ArrayList<>();
    public final List<Level> levels = new ArrayList<>();

    @Override
    public String getName() {
        return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        keep(level, msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        keep(level, format);
    }

    @Override
    public void log(Level level, Supplier<String> msgSupplier) {
        keep(level, msgSupplier.get());
    }

    private void keep(Level level, String msg) {
        levels.add(level);
        lines.add(msg);
    }
}
