package io.blockhaus.nbd;

import io.blockhaus.engine.Volume;
import java.util.List;
import java.util.Optional;

/** The volumes the NBD server offers, by export name. */
public interface NbdExports {

    /** The volume exported as {@code name}; the empty name means the default export. */
    Optional<Volume> find(String name);

    /** Every export, in listing order. */
    List<Volume> all();

    /** A fixed set, the first being the default export. */
    static NbdExports of(List<Volume> volumes) {
        List<Volume> copy = List.copyOf(volumes);
        return new NbdExports() {
            @Override
            public Optional<Volume> find(String name) {
                if (name.isEmpty()) {
                    return copy.stream().filter(v -> v.name().equals("default")).findFirst()
                            .or(() -> copy.stream().findFirst());
                }
                return copy.stream().filter(v -> v.name().equals(name)).findFirst();
            }

            @Override
            public List<Volume> all() {
                return copy;
            }
        };
    }
}
