package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.VolumeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VolumeRegistryTest {

    private final List<FakeStore> opened = new ArrayList<>();

    private StoreFactory recording() {
        return (file, size, readOnly) -> {
            FakeStore s = new FakeStore(file, size, readOnly);
            opened.add(s);
            return s;
        };
    }

    private static VolumePlan plan(String name, long size, boolean readOnly) {
        return new VolumePlan(VolumeConfig.of(name).withReadOnly(readOnly), Path.of("/data", name + ".img"), size, true);
    }

    @Test
    void opensEveryStoreBeforeAskingForTheEngineAndClosesThemAllWhenTheEngineFails() {
        VolumeRegistry registry = new VolumeRegistry(recording());
        List<Integer> storesOpenWhenEngineWasAskedFor = new ArrayList<>();
        assertThatThrownBy(() -> registry.openAll(List.of(plan("a", 4096, false), plan("b", 8192, true)), () -> {
            storesOpenWhenEngineWasAskedFor.add(opened.size());
            throw new UnsupportedOperationException("TODO");
        }))
                .isInstanceOf(StartupException.class)
                .hasMessage("cannot start the engine: TODO");
        assertThat(storesOpenWhenEngineWasAskedFor).containsExactly(2);
        assertThat(opened).extracting(s -> s.file, s -> s.size, s -> s.readOnly).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Path.of("/data/a.img"), 4096L, false),
                org.assertj.core.groups.Tuple.tuple(Path.of("/data/b.img"), 8192L, true));
        assertThat(opened).allSatisfy(s -> assertThat(s.closes).isEqualTo(1));
        assertThat(registry.size()).isZero();
    }

    @Test
    void aStoreThatFailsToOpenClosesTheOnesBeforeItAndNeverStartsTheEngine() {
        StoreFactory secondFails = (file, size, readOnly) -> {
            if (!opened.isEmpty()) {
                throw new UnsupportedOperationException("wired after store lands");
            }
            return recording().open(file, size, readOnly);
        };
        VolumeRegistry registry = new VolumeRegistry(secondFails);
        assertThatThrownBy(() -> registry.openAll(List.of(plan("a", 4096, false), plan("b", 4096, false)), () -> {
            throw new AssertionError("the engine must not be started");
        }))
                .isInstanceOf(StartupException.class)
                .hasMessage("cannot open the file of export 'b' (/data/b.img): wired after store lands");
        assertThat(opened).singleElement().satisfies(s -> assertThat(s.closes).isEqualTo(1));
    }

    @Test
    void aVolumeThatFailsToOpenClosesEveryStore() {
        VolumeRegistry registry = new VolumeRegistry(recording());
        assertThatThrownBy(() -> registry.openAll(List.of(plan("a", 4096, false), plan("b", 4096, false)),
                () -> (config, store) -> {
                    throw new IllegalStateException(null, null);
                }))
                .isInstanceOf(StartupException.class)
                .hasMessage("cannot open export 'a': IllegalStateException");
        assertThat(opened).hasSize(2).allSatisfy(s -> assertThat(s.closes).isEqualTo(1));
    }

    @Test
    void rejectsADuplicateNameBeforeOpeningAnything() {
        VolumeRegistry registry = new VolumeRegistry(recording());
        assertThatThrownBy(() -> registry.openAll(List.of(plan("a", 4096, false), plan("a", 4096, false)), () -> {
            throw new AssertionError("not reached");
        })).hasMessageContaining("'a'");
        assertThat(opened).isEmpty();
    }

    @Test
    void closeIsIdempotentAndLocksTheRegistry() {
        VolumeRegistry registry = new VolumeRegistry(recording());
        registry.close();
        registry.close();
        assertThat(registry.names()).isEmpty();
        assertThat(registry.get("a")).isEmpty();
        assertThatThrownBy(() -> registry.openAll(List.of(plan("a", 4096, false)), () -> null))
                .isInstanceOf(IllegalStateException.class);
        assertThat(opened).isEmpty();
    }
}
