package io.blockhaus.engine;

/** How a front end serves plain reads and writes of an export. */
public enum IoMode {
    /** Through the page cache. */
    BUFFERED,
    /** Around it, with direct-I/O semantics (BLOCK on the range, write-and-invalidate). */
    DIRECT;

    public static IoMode fromLabel(String label) {
        return switch (label) {
            case "buffered" -> BUFFERED;
            case "direct" -> DIRECT;
            default -> throw new IllegalArgumentException("unknown io mode '" + label + "' (expected buffered or direct)");
        };
    }
}
