package io.blockhaus.server;

import io.blockhaus.engine.Volume;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.store.BackingStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The server's volumes by export name. Opens them in two steps, so that a bad file is found before
 * the engine reserves its memory and starts its threads: first every backing store, then (once) the
 * engine and every volume over its store. Whatever fails, nothing stays open.
 */
public final class VolumeRegistry implements AutoCloseable {

    /** Turns a store into a volume; in production {@code engine::open}. */
    @FunctionalInterface
    public interface VolumeOpener {
        Volume open(VolumeConfig config, BackingStore store);
    }

    private final StoreFactory stores;
    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private boolean closed;

    public VolumeRegistry(StoreFactory stores) {
        this.stores = stores;
    }

    /**
     * Opens every planned volume. {@code opener} is asked for only after every store is open.
     *
     * @throws StartupException naming the export and file that failed; every store and volume opened so far is closed
     */
    public synchronized void openAll(List<VolumePlan> plans, Supplier<? extends VolumeOpener> opener) {
        if (closed) {
            throw new IllegalStateException("registry is closed");
        }
        Set<String> names = new HashSet<>(volumes.keySet());
        for (VolumePlan plan : plans) {
            if (!names.add(plan.name())) {
                throw new IllegalArgumentException("volume '" + plan.name() + "' is already open or planned twice");
            }
        }
        List<BackingStore> opened = new ArrayList<>();
        List<VolumeConfig> configs = new ArrayList<>();
        int next = 0;
        try {
            for (VolumePlan plan : plans) {
                try {
                    StoreFactory.Opened o = stores.open(plan);
                    opened.add(o.store());
                    configs.add(plan.config().withReadOnly(o.readOnly()));
                } catch (StartupException e) {
                    throw e; // already one line for the operator (an s3 volume's, say)
                } catch (RuntimeException e) {
                    throw new StartupException("cannot open the " + (plan.s3().isPresent() ? "volume" : "file")
                            + " of export '" + plan.name() + "' (" + plan.where() + "): " + StartupException.describe(e), e);
                }
            }
            VolumeOpener open;
            try {
                open = opener.get();
            } catch (RuntimeException e) {
                throw new StartupException("cannot start the engine: " + StartupException.describe(e), e);
            }
            for (; next < plans.size(); next++) {
                VolumePlan plan = plans.get(next);
                try {
                    volumes.put(plan.name(), open.open(configs.get(next), opened.get(next)));
                } catch (RuntimeException e) {
                    throw new StartupException("cannot open export '" + plan.name() + "': "
                            + StartupException.describe(e), e);
                }
            }
        } catch (RuntimeException e) {
            // Stores not yet handed to a volume are ours to close; volumes close their own stores.
            for (int i = next; i < opened.size(); i++) {
                try {
                    opened.get(i).close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            for (int i = 0; i < next; i++) {
                Volume v = volumes.remove(plans.get(i).name());
                try {
                    v.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    public synchronized Optional<Volume> get(String name) {
        return Optional.ofNullable(volumes.get(name));
    }

    /**
     * Takes a volume out of the registry (no new client finds it) without closing it: the caller
     * closes it. Empty when there is none by that name.
     */
    public synchronized Optional<Volume> remove(String name) {
        return Optional.ofNullable(volumes.remove(name));
    }

    /** Every volume, in the order they were opened. */
    public synchronized List<Volume> volumes() {
        return List.copyOf(volumes.values());
    }

    /** Export names in the order they were opened. */
    public synchronized Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(volumes.keySet()));
    }

    public synchronized int size() {
        return volumes.size();
    }

    /**
     * Closes every volume (each writes back its dirty pages and forces its store), newest first, even
     * when one fails; then throws the first failure with the others suppressed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Volume> all = new ArrayList<>(volumes.values());
        Collections.reverse(all);
        volumes.clear();
        RuntimeException first = null;
        for (Volume v : all) {
            try {
                v.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
