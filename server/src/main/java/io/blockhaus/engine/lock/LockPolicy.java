package io.blockhaus.engine.lock;

/** How much of a volume one acquisition covers. */
public enum LockPolicy {
    /** One lock for the whole volume: ADD and BLOCK always conflict. The default. */
    TWO_STATE("two-state"),
    /** ADD and BLOCK conflict only where their page ranges overlap. */
    RANGE("range");

    private final String label;

    LockPolicy(String label) {
        this.label = label;
    }

    /** The name used on the command line and in metrics tags. */
    public String label() {
        return label;
    }

    public static LockPolicy fromLabel(String label) {
        for (LockPolicy p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown lock policy '" + label + "' (expected two-state or range)");
    }
}
